package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.jobs.collect.CollectFixtures.keyFor;
import static org.sparkdpo.jobs.collect.CollectFixtures.pairs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.JobFailedException;

class AnnotationQueueTest {
    @TempDir Path tmp;
    final ObjectMapper json = new ObjectMapper();

    List<JsonNode> rows(Path prefs) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(prefs)) out.add(json.readTree(l));
        return out;
    }

    @Test
    void decisionsBecomeRowsAndTiesStayInTheJournal() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(3), 1)) {
            Shown s = q.next("ann").orElseThrow();
            assertEquals("p0", s.pair().pairId());
            assertEquals("0/3 (ann)", s.progress().line());
            q.decide("ann", "p0", keyFor(Choice.CHOSEN_B, "p0", "ann"));
            q.decide("ann", q.next("ann").orElseThrow().pair().pairId(), "t");
            Shown third = q.next("ann").orElseThrow();
            q.decide("ann", "p2", "1");
            assertTrue(q.next("ann").isEmpty());
            List<JsonNode> rows = rows(prefs);
            assertEquals(2, rows.size());
            JsonNode r = rows.get(0);
            assertEquals("p0/ann", r.get("id").asText());
            assertEquals("prompt 0", r.get("prompt").asText());
            assertEquals("answer B0", r.get("chosen").asText());
            assertEquals("answer A0", r.get("rejected").asText());
            assertEquals("chosen_b", r.get("choice").asText());
            assertEquals(ShownOrder.of("p0", "ann"), r.get("shown_order").asText());
            assertTrue(r.get("agreement").isNull());
            assertEquals(third.first(), rows.get(1).get("chosen").asText(), "key 1 picks the answer shown first");
            assertEquals(3, Files.readAllLines(AnnotationQueue.sibling(prefs, ".decisions")).size());
            assertEquals(new Progress("ann", 3, 3, 3, 3), q.progress("ann"), "a tie is a decision (only skips do not count)");
        }
    }

    @Test
    void badRequestsChangeNothing() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        Path journal = AnnotationQueue.sibling(prefs, ".decisions");
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(2), 1)) {
            q.next("ann");
            q.decide("ann", "p0", "1");
            long size = Files.size(journal);
            assertEquals(QueueException.Kind.ALREADY_DECIDED, assertThrows(QueueException.class, () -> q.decide("ann", "p0", "2")).kind());
            assertEquals(QueueException.Kind.UNKNOWN_PAIR, assertThrows(QueueException.class, () -> q.decide("ann", "nope", "1")).kind());
            assertEquals(QueueException.Kind.BAD_KEY, assertThrows(QueueException.class, () -> q.decide("ann", "p1", "x")).kind());
            assertEquals(QueueException.Kind.BAD_ANNOTATOR, assertThrows(QueueException.class, () -> q.decide(" ", "p1", "1")).kind());
            q.next("bob");
            assertEquals(QueueException.Kind.NOT_LEASED, assertThrows(QueueException.class, () -> q.decide("ann", "p1", "1")).kind(),
                    "p1 is leased to bob and overlap is 1");
            assertEquals(size, Files.size(journal));
            assertEquals(1, q.decisions().size());
        }
    }

    @Test
    void undoRemovesExactlyTheLastDecisionAndShowsThatPairAgain() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(3), 2)) {
            q.decide("ann", q.next("ann").orElseThrow().pair().pairId(), "1");
            q.decide("bob", q.next("bob").orElseThrow().pair().pairId(), "2");
            Decision last = q.decide("ann", q.next("ann").orElseThrow().pair().pairId(), "1");
            assertEquals("p1", last.pairId());
            assertEquals(Optional.of(last), q.undo("ann"));
            assertEquals(List.of("p0/ann", "p0/bob"), rows(prefs).stream().map(r -> r.get("id").asText()).toList());
            assertEquals("p1", q.next("ann").orElseThrow().pair().pairId(), "the undone pair comes back");
            q.undo("ann");
            assertEquals(List.of("p0/bob"), rows(prefs).stream().map(r -> r.get("id").asText()).toList());
            assertTrue(q.undo("ann").isEmpty());
            assertEquals(1, q.decisions().size());
        }
    }

    @Test
    void overlapTwoGivesEachPairToTwoAnnotatorsNeverTwiceToOne() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        Map<String, Set<String>> seen = new HashMap<>();
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(5), 2)) {
            List<String> annotators = List.of("ann", "bob", "cat");
            boolean any = true;
            for (int round = 0; any; round++) {
                any = false;
                for (String a : annotators) {
                    if ((round + a.length()) % 3 == 0 && a.equals("cat")) continue; // uneven pace
                    Optional<Shown> s = q.next(a);
                    if (s.isEmpty()) continue;
                    any = true;
                    assertTrue(seen.computeIfAbsent(a, k -> new HashSet<>()).add(s.get().pair().pairId()),
                            a + " was shown " + s.get().pair().pairId() + " twice");
                    q.decide(a, s.get().pair().pairId(), "1");
                }
            }
            Map<String, Integer> perPair = new HashMap<>();
            for (Decision d : q.decisions()) perPair.merge(d.pairId(), 1, Integer::sum);
            assertEquals(Map.of("p0", 2, "p1", 2, "p2", 2, "p3", 2, "p4", 2), perPair);
            Progress p = q.progress("ann");
            assertEquals(10, p.overallDone());
            assertEquals(10, p.overallNeeded());
            assertTrue(rows(prefs).stream().allMatch(r -> r.get("agreement").isNumber()));
        }
    }

    @Test
    void concurrentDecisionsLoseAndDuplicateNothing() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        int threads = 6, n = 30, overlap = 2;
        ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(n), overlap)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String annotator = "a" + (t % 3); // two threads per annotator: double clicks race each other
                fs.add(pool.submit(() -> {
                    start.await();
                    for (Optional<Shown> s; (s = q.next(annotator)).isPresent(); ) {
                        try {
                            Decision d = q.decide(annotator, s.get().pair().pairId(), "1");
                            accepted.add(d.pairId() + "/" + d.annotator());
                        } catch (QueueException e) {
                            assertTrue(e.kind() == QueueException.Kind.ALREADY_DECIDED || e.kind() == QueueException.Kind.NOT_LEASED,
                                    e.kind().toString());
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : fs) f.get(60, TimeUnit.SECONDS);
            assertEquals(n * overlap, accepted.size());
            assertEquals(n * overlap, new HashSet<>(accepted).size(), "no decision twice");
            List<JsonNode> rows = rows(prefs);
            assertEquals(new HashSet<>(accepted), new HashSet<>(rows.stream().map(r -> r.get("id").asText()).toList()));
            assertEquals(n * overlap, rows.size());
        } finally {
            pool.shutdownNow();
        }
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(n), overlap)) {
            assertEquals(n * overlap, q.decisions().size(), "the journal replays to the same decisions");
        }
    }

    @Test
    void kappaMatchesAHandComputedCase() throws Exception {
        // rater 1 (ann, first): A A B B; rater 2 (bob): A B B B.
        // p_o = 3/4; p_e = 0.5*0.25 + 0.5*0.75 = 0.5; kappa = (0.75 - 0.5) / (1 - 0.5) = 0.5
        Choice a = Choice.CHOSEN_A, b = Choice.CHOSEN_B;
        Choice[] ann = {a, a, b, b}, bob = {a, b, b, b};
        try (AnnotationQueue q = AnnotationQueue.open(tmp.resolve("prefs.jsonl"), pairs(5), 2)) {
            assertNull(q.agreement().kappa());
            for (int i = 0; i < 4; i++) {
                q.decide("ann", "p" + i, keyFor(ann[i], "p" + i, "ann"));
                q.decide("bob", "p" + i, keyFor(bob[i], "p" + i, "bob"));
            }
            q.decide("ann", "p4", "1"); // decided by one annotator only: not counted
            Agreement g = q.agreement();
            assertEquals(4, g.n());
            assertEquals(0.75, g.raw(), 1e-12);
            assertEquals(0.5, g.kappa(), 1e-12);
            JsonNode p1ann = rows(q.prefs()).stream().filter(r -> r.get("id").asText().equals("p1/ann")).findFirst().orElseThrow();
            assertEquals(0.5, p1ann.get("agreement").asDouble(), 1e-12);
        }
    }

    @Test
    void rerunKeepsDecisionsAndRefusesChangedPairs() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(3), 1)) {
            q.decide("ann", q.next("ann").orElseThrow().pair().pairId(), "1");
        }
        try (AnnotationQueue q = AnnotationQueue.open(prefs, pairs(3), 1)) {
            assertEquals("p1", q.next("ann").orElseThrow().pair().pairId(), "resumes at the first undecided pair");
            assertEquals(3, Files.readAllLines(AnnotationQueue.sibling(prefs, ".answers")).size(), "pairs stored once");
        }
        List<LabelPair> changed = new ArrayList<>(pairs(3));
        changed.set(0, new LabelPair("p0", "prompt 0", "other", "answer B0", null, null));
        JobFailedException e = assertThrows(JobFailedException.class, () -> AnnotationQueue.open(prefs, changed, 1));
        assertTrue(e.getMessage().contains("'p0'"), e.getMessage());
        try (AnnotationQueue q = AnnotationQueue.open(prefs, List.of(), 1)) {
            assertFalse(q.pairs().isEmpty(), "the answers file alone restores the queue");
        }
    }

    @Test
    void conversationalPromptsGiveTheConversationalForm() throws Exception {
        Path prefs = tmp.resolve("prefs.jsonl");
        List<java.util.Map<String, String>> msgs = List.of(Map.of("role", "user", "content", "hi <script>"));
        try (AnnotationQueue q = AnnotationQueue.open(prefs, List.of(new LabelPair("c", msgs, "x", "y", "m", "ad")), 1)) {
            q.decide("ann", "c", keyFor(Choice.CHOSEN_A, "c", "ann"));
        }
        JsonNode r = rows(prefs).get(0);
        assertEquals("user", r.get("prompt").get(0).get("role").asText());
        assertEquals("assistant", r.get("chosen").get(0).get("role").asText());
        assertEquals("x", r.get("chosen").get(0).get("content").asText());
        assertEquals("y", r.get("rejected").get(0).get("content").asText());
        assertEquals("m", r.get("model").asText());
        assertEquals("ad", r.get("adapter").asText());
    }
}
