package org.sparkdpo.jobs.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.jobs.pipeline.SyntheticTask;
import org.sparkdpo.jobs.pipeline.TaskModels;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/** {@code export}: the merged checkpoint loads in the model reader and scores exactly like base + adapter. */
class ExportJobTest {
    @Test
    void mergedCheckpointScoresLikeBasePlusAdapter(@TempDir Path tmp) throws Exception {
        Path model = TaskModels.scratch(tmp.resolve("model"));
        BaseWeights base = ModelStore.load(model, DataType.FLOAT);
        Path adapterDir = TaskModels.randomAdapter(base, tmp.resolve("adapter"), 11, 0.5);
        Path out = tmp.resolve("merged");
        assertEquals(ExitCodes.OK, Main.run(new String[]{"export", "--model", model.toString(), "--adapter", adapterDir.toString(),
                "--out", out.toString()}));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertEquals(Files.readString(model.resolve("tokenizer.json")), Files.readString(out.resolve("tokenizer.json")));
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("adapter", "merged", "model"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary folder left behind");
        }

        BaseWeights merged = ModelStore.load(out, DataType.FLOAT);
        LoraAdapter adapter = LoraAdapter.load(adapterDir, base.model(), DataType.FLOAT);
        List<Completion> seqs = new ArrayList<>();
        try (HfTokenizer tok = HfTokenizer.load(out)) {
            for (SyntheticTask.Pair p : SyntheticTask.generate(4, 0.2, 3).heldout().subList(0, 12)) {
                seqs.add(new Completion(tok.encode(p.prompt()), tok.encode(p.rejected())));
            }
        }
        double[] want = new CompletionScorer(base, adapter).score(seqs).sums();
        double[] got = new CompletionScorer(merged, null).score(seqs).sums();
        double[] plain = new CompletionScorer(base, null).score(seqs).sums();
        double moved = 0, worst = 0;
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(want[i], got[i], 1e-5, "sequence " + i);
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
            moved = Math.max(moved, Math.abs(want[i] - plain[i]));
        }
        System.err.printf("export: largest |merged - (base + adapter)| log-prob difference %.2e%n", worst);
        assertTrue(moved > 0.1, "the adapter changes the scores (by up to " + moved + ")");

        assertEquals(ExitCodes.REFUSED, Main.run(new String[]{"export", "--model", model.toString(), "--adapter",
                adapterDir.toString(), "--out", out.toString()}), "an existing output is refused");
    }
}
