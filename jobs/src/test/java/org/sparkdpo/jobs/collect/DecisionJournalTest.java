package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobRefusedException;

class DecisionJournalTest {
    @TempDir Path tmp;

    @Test
    void everyAppendIsOnDiskAndReplaysIdentically() throws Exception {
        Path f = tmp.resolve("p.jsonl.decisions");
        List<Decision> written;
        try (DecisionJournal j = DecisionJournal.open(f)) {
            j.append("p0", "ann", Choice.CHOSEN_A, "1", "ab");
            long size = Files.size(f);
            assertTrue(size > 0, "appended before returning");
            j.append("p1", "ann", Choice.TIE, "t", "ba");
            j.append("p2", "bob", Choice.CHOSEN_B, "1", "ba");
            assertEquals(3, Files.readAllLines(f).size());
            written = j.live();
        }
        try (DecisionJournal j = DecisionJournal.open(f)) {
            assertEquals(written, j.live());
            assertTrue(j.warnings().isEmpty());
            Decision d = j.append("p3", "ann", Choice.SKIP, "s", "ab");
            assertEquals(4, d.seq(), "seq continues after replay");
        }
    }

    @Test
    void tornLastLineIsCutWithAWarningAndAppendsContinue() throws Exception {
        Path f = tmp.resolve("p.jsonl.decisions");
        try (DecisionJournal j = DecisionJournal.open(f)) {
            j.append("p0", "ann", Choice.CHOSEN_A, "1", "ab");
            j.append("p1", "ann", Choice.CHOSEN_B, "2", "ab");
        }
        long good = Files.size(f);
        Files.writeString(f, "{\"seq\":3,\"event\":\"decision\",\"pair_id\":\"p2\",\"annot", StandardOpenOption.APPEND);
        try (DecisionJournal j = DecisionJournal.open(f)) {
            assertEquals(2, j.live().size());
            assertEquals(1, j.warnings().size());
            assertTrue(j.warnings().get(0).contains(":3:"), j.warnings().get(0));
            assertEquals(good, Files.size(f), "torn tail truncated");
            j.append("p2", "ann", Choice.TIE, "t", "ba");
        }
        try (DecisionJournal j = DecisionJournal.open(f)) {
            assertEquals(List.of("p0", "p1", "p2"), j.live().stream().map(Decision::pairId).toList());
            assertTrue(j.warnings().isEmpty());
        }
    }

    @Test
    void aBadLineBeforeTheEndIsAnErrorNamingTheLine() throws Exception {
        Path f = tmp.resolve("p.jsonl.decisions");
        try (DecisionJournal j = DecisionJournal.open(f)) {
            j.append("p0", "ann", Choice.CHOSEN_A, "1", "ab");
        }
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(f));
        lines.add(0, "garbage");
        Files.write(f, lines, StandardCharsets.UTF_8);
        JobFailedException e = assertThrows(JobFailedException.class, () -> DecisionJournal.open(f));
        assertTrue(e.getMessage().contains(f + ":1:"), e.getMessage());
    }

    @Test
    void undoRemovesExactlyTheLastDecisionOfThatAnnotator() throws Exception {
        Path f = tmp.resolve("p.jsonl.decisions");
        try (DecisionJournal j = DecisionJournal.open(f)) {
            Decision a0 = j.append("p0", "ann", Choice.CHOSEN_A, "1", "ab");
            Decision a1 = j.append("p1", "ann", Choice.CHOSEN_B, "2", "ab");
            Decision b0 = j.append("p0", "bob", Choice.TIE, "t", "ba");
            assertEquals(a1, j.undoLast("ann"));
            assertEquals(List.of(a0, b0), j.live());
            assertEquals(a0, j.undoLast("ann"));
            assertNull(j.undoLast("ann"));
            assertEquals(List.of(b0), j.live());
        }
        try (DecisionJournal j = DecisionJournal.open(f)) {
            assertEquals(1, j.live().size());
            assertEquals("bob", j.live().get(0).annotator());
            assertEquals(6, j.append("p9", "ann", Choice.SKIP, "s", "ab").seq());
        }
    }

    @Test
    void aSecondWriterIsRefused() throws Exception {
        Path f = tmp.resolve("p.jsonl.decisions");
        try (DecisionJournal j = DecisionJournal.open(f)) {
            assertThrows(JobRefusedException.class, () -> DecisionJournal.open(f));
        }
        try (DecisionJournal j = DecisionJournal.open(f)) {
            assertTrue(j.live().isEmpty());
        }
    }
}
