package org.sparkdpo.jobs.collect.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.jobs.collect.AnnotationQueue;
import org.sparkdpo.jobs.collect.CollectJob;
import org.sparkdpo.jobs.pipeline.TaskModels;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.jobs.collect.web.WebFixtures.Api;

/** {@code collect --web} with a model: pairs are sampled when an annotator asks and the queue has none left for it. */
class CollectWebModelTest {

    @Test
    void pairsAreSampledOnDemandThroughTheSession(@TempDir Path dir) throws Exception {
        Path model = TaskModels.scratch(dir.resolve("model"));
        Path prompts = Files.write(dir.resolve("prompts.jsonl"), List.of(
                "{\"id\": \"kite\", \"prompt\": \"the kite is green . what color is the kite ?\"}",
                "{\"id\": \"cup\", \"prompt\": \"the cup is red . what color is the cup ?\"}"));
        Path prefs = dir.resolve("prefs.jsonl");
        CollectJob.Settings s = new CollectJob.Settings(model.toString(), null, prompts, null, prefs, 1,
                new GenerationConfig(1.0, 20, 1.0, 8, 0, Set.of()), 1.0, 4, DataType.FLOAT);
        try (CollectJob.Session session = CollectJob.open(s);
             CollectServer server = CollectServer.start(session.queue(), session::next, new CollectServer.Settings("127.0.0.1", 0, false))) {
            Api api = Api.of(server);
            JsonNode first = api.next("ann").json();
            assertEquals("kite", first.get("pair_id").asText());
            assertNotEquals(first.get("first").asText(), first.get("second").asText());
            assertEquals(List.of("kite"), sampled(prefs), "one pair sampled, for the prompt shown");
            assertEquals(200, api.decide("ann", "kite", "1").status());
            assertEquals("cup", api.next("ann").json().get("pair_id").asText());
            assertEquals(200, api.decide("ann", "cup", "2").status());
            assertTrue(api.next("ann").json().get("done").asBoolean());
            assertEquals(List.of("kite", "cup"), sampled(prefs));
        }
        assertEquals(List.of("kite/ann", "cup/ann"), WebFixtures.lines(prefs).stream().map(r -> r.get("id").asText()).toList());
    }

    static List<String> sampled(Path prefs) throws Exception {
        return WebFixtures.lines(AnnotationQueue.sibling(prefs, ".answers")).stream().map(a -> a.get("pair_id").asText()).toList();
    }
}
