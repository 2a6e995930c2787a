package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.JobFailedException;

class PairLinesTest {
    @TempDir Path tmp;

    @Test
    void readsIdsMessagesAndHashesStably() throws Exception {
        Path f = tmp.resolve("pairs.jsonl");
        Files.writeString(f, """
                {"id": 7, "prompt": "q", "answer_a": "a", "answer_b": "b"}

                {"messages": [{"role": "user", "content": "hi"}], "answer_a": "x", "answer_b": "y", "model": "m"}
                """);
        List<LabelPair> ps = PairLines.read(f);
        assertEquals("7", ps.get(0).pairId());
        assertTrue(ps.get(1).conversational());
        assertEquals("user: hi", ps.get(1).promptText());
        assertEquals(ps.get(1).pairId(), PairLines.read(f).get(1).pairId(), "content id is stable");
        assertEquals(ps.get(1), PairLines.parse(PairLines.line(ps.get(1)), "x"), "the answers-file line round-trips");
    }

    @Test
    void aBadLineNamesFileAndLine() throws Exception {
        Path f = tmp.resolve("pairs.jsonl");
        Files.writeString(f, "{\"prompt\": \"q\", \"answer_a\": \"a\", \"answer_b\": \"b\"}\n{\"prompt\": \"q\", \"answer_a\": \"a\"}\n");
        JobFailedException e = assertThrows(JobFailedException.class, () -> PairLines.read(f));
        assertTrue(e.getMessage().startsWith(f + ":2: no 'answer_b'"), e.getMessage());
    }
}
