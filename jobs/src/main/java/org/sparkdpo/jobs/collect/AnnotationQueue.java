package org.sparkdpo.jobs.collect;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobRefusedException;

/**
 * The labelling queue both front ends (terminal and web) talk to; they never write files themselves. Each pair goes
 * to {@code overlap} annotators, never twice to the same one. {@link #next} leases a pair to an annotator for a while
 * (so two people working at once are not given the same last slot) and shows the leased pair again on a reload.
 * Every mutation is synchronized and journaled ({@link DecisionJournal}) before it returns, then the dataset view
 * {@code PREFS.jsonl} is rebuilt atomically ({@link PrefsView}). Files beside {@code prefsJsonl}:
 * {@code .decisions} (the journal) and {@code .answers} (the pairs, {@link AnswersFile}).
 */
public final class AnnotationQueue implements Closeable {
    /** How long a shown pair stays reserved for its annotator without a decision. */
    public static final Duration DEFAULT_LEASE = Duration.ofMinutes(30);

    private record Lease(String pairId, Instant expires) {}

    private final Path prefs;
    private final int overlap;
    private final Clock clock;
    private final Duration leaseTime;
    private final DecisionJournal journal;
    private final AnswersFile answers;
    private final Map<String, Lease> leases = new HashMap<>();

    private AnnotationQueue(Path prefs, int overlap, Clock clock, Duration leaseTime, DecisionJournal journal, AnswersFile answers) {
        this.prefs = prefs;
        this.overlap = overlap;
        this.clock = clock;
        this.leaseTime = leaseTime;
        this.journal = journal;
        this.answers = answers;
    }

    public static AnnotationQueue open(Path prefsJsonl, List<LabelPair> pairs, int overlap) {
        return open(prefsJsonl, pairs, overlap, Clock.systemUTC(), DEFAULT_LEASE);
    }

    /**
     * Opens the queue on {@code prefsJsonl}: replays the journal, loads the answers file, appends the given pairs it
     * does not hold yet (a pair id already there with other content is an error), and rebuilds the view.
     */
    public static AnnotationQueue open(Path prefsJsonl, List<LabelPair> pairs, int overlap, Clock clock, Duration lease) {
        if (overlap < 1) throw new JobRefusedException("--overlap: must be at least 1, got " + overlap);
        DecisionJournal journal = DecisionJournal.open(sibling(prefsJsonl, ".decisions"), clock);
        AnswersFile answers = null;
        try {
            answers = AnswersFile.open(sibling(prefsJsonl, ".answers"));
            AnnotationQueue q = new AnnotationQueue(prefsJsonl, overlap, clock, lease, journal, answers);
            for (LabelPair p : pairs) q.addPair(p);
            q.checkJournalPairs();
            q.writeView();
            return q;
        } catch (IOException e) {
            closeQuietly(journal, answers);
            throw new JobFailedException("cannot open " + sibling(prefsJsonl, ".answers") + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(journal, answers);
            throw e;
        }
    }

    /** {@code PREFS.jsonl} + suffix, e.g. ".decisions" or ".answers". */
    public static Path sibling(Path prefsJsonl, String suffix) {
        return prefsJsonl.resolveSibling(prefsJsonl.getFileName() + suffix);
    }

    private static void closeQuietly(Closeable... cs) {
        for (Closeable c : cs) {
            try {
                if (c != null) c.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    private void checkJournalPairs() {
        for (Decision d : journal.live()) {
            if (!answers.pairs().containsKey(d.pairId())) {
                throw new JobFailedException(journal.file() + ": decision " + d.seq() + " is on pair '" + d.pairId()
                        + "', which " + sibling(prefs, ".answers") + " does not hold (answers file replaced or cut?)");
            }
        }
    }

    /**
     * Adds a pair to the queue (appended to the answers file and forced to disk). A pair with the same id and content
     * is a no-op; the same id with other content is an error.
     */
    public synchronized LabelPair addPair(LabelPair p) {
        LabelPair known = answers.pairs().get(p.pairId());
        if (known != null) {
            if (!known.equals(p)) {
                throw new JobFailedException("pair '" + p.pairId() + "' differs from the one recorded in " + sibling(prefs, ".answers")
                        + " (give it another id, or write to another --out)");
            }
            return known;
        }
        answers.append(p);
        return p;
    }

    /** Whether a pair with this id is queued. */
    public synchronized Optional<LabelPair> pair(String pairId) {
        return Optional.ofNullable(answers.pairs().get(pairId));
    }

    /** Every queued pair, in queue order. */
    public synchronized List<LabelPair> pairs() {
        return List.copyOf(answers.pairs().values());
    }

    /** Every live decision, in journal order. */
    public List<Decision> decisions() {
        return journal.live();
    }

    /** Replay warnings (torn last lines cut off) of the journal and the answers file. */
    public synchronized List<String> warnings() {
        List<String> w = new ArrayList<>(journal.warnings());
        w.addAll(answers.warnings());
        return w;
    }

    public int overlap() {
        return overlap;
    }

    public Path prefs() {
        return prefs;
    }

    /**
     * The next pair for this annotator: the pair it already holds a lease on, else the first pair (queue order) it has
     * not decided that still needs an annotator (fewer than {@code overlap} non-skip decisions plus other annotators'
     * unexpired leases). The pair is leased to the annotator; empty when nothing is left for it.
     */
    public synchronized Optional<Shown> next(String annotator) {
        checkAnnotator(annotator);
        Instant now = clock.instant();
        Map<String, Map<String, Decision>> byPair = byPair();
        Lease held = leases.get(annotator);
        if (held != null && held.expires().isAfter(now) && !decided(byPair, held.pairId(), annotator)) {
            return Optional.of(lease(annotator, held.pairId(), byPair));
        }
        for (LabelPair p : answers.pairs().values()) {
            if (decided(byPair, p.pairId(), annotator)) continue;
            if (taken(byPair, p.pairId(), annotator, now) >= overlap) continue;
            return Optional.of(lease(annotator, p.pairId(), byPair));
        }
        leases.remove(annotator);
        return Optional.empty();
    }

    private Shown lease(String annotator, String pairId, Map<String, Map<String, Decision>> byPair) {
        leases.put(annotator, new Lease(pairId, clock.instant().plus(leaseTime)));
        return Shown.of(answers.pairs().get(pairId), annotator, progress(annotator, byPair));
    }

    /**
     * Records this annotator's key on a pair ("1"/"2" = first/second shown, "t", "b", "s"); returns once journaled.
     *
     * @throws QueueException (nothing changed) for an unknown pair, a bad key, a pair this annotator already decided,
     *                        or a pair that already has its annotators without this one
     */
    public synchronized Decision decide(String annotator, String pairId, String key) {
        checkAnnotator(annotator);
        if (pairId == null || !answers.pairs().containsKey(pairId)) {
            throw new QueueException(QueueException.Kind.UNKNOWN_PAIR, "no pair with id '" + pairId + "'");
        }
        if (!ShownOrder.isDecisionKey(key)) {
            throw new QueueException(QueueException.Kind.BAD_KEY, "unknown key '" + key + "' (1, 2, t, b or s)");
        }
        Map<String, Map<String, Decision>> byPair = byPair();
        if (decided(byPair, pairId, annotator)) {
            throw new QueueException(QueueException.Kind.ALREADY_DECIDED, annotator + " already decided pair '" + pairId + "'");
        }
        Instant now = clock.instant();
        Lease held = leases.get(annotator);
        boolean holds = held != null && held.pairId().equals(pairId) && held.expires().isAfter(now);
        if (!holds && taken(byPair, pairId, annotator, now) >= overlap) {
            throw new QueueException(QueueException.Kind.NOT_LEASED, "pair '" + pairId + "' already has its " + overlap
                    + " annotator(s); ask for the next pair");
        }
        String order = ShownOrder.of(pairId, annotator);
        Decision d = journal.append(pairId, annotator, ShownOrder.fromKey(key, order), key, order);
        if (holds) leases.remove(annotator);
        writeView();
        return d;
    }

    /** Removes exactly this annotator's last live decision (journaled) and shows that pair to it again next. */
    public synchronized Optional<Decision> undo(String annotator) {
        checkAnnotator(annotator);
        Decision d = journal.undoLast(annotator);
        if (d == null) return Optional.empty();
        leases.put(annotator, new Lease(d.pairId(), clock.instant().plus(leaseTime)));
        writeView();
        return Optional.of(d);
    }

    public synchronized Progress progress(String annotator) {
        checkAnnotator(annotator);
        return progress(annotator, byPair());
    }

    private Progress progress(String annotator, Map<String, Map<String, Decision>> byPair) {
        int done = 0, open = 0, overallDone = 0;
        for (LabelPair p : answers.pairs().values()) {
            int filled = nonSkip(byPair, p.pairId());
            overallDone += Math.min(filled, overlap);
            if (decided(byPair, p.pairId(), annotator)) done++;
            else if (filled < overlap) open++;
        }
        return new Progress(annotator, done, done + open, overallDone, answers.pairs().size() * overlap);
    }

    /** Cohen's kappa over the pairs exactly two annotators decided (see {@link Agreement}). */
    public synchronized Agreement agreement() {
        Map<String, List<Decision>> two = new LinkedHashMap<>();
        for (Decision d : journal.live()) {
            if (d.choice() != Choice.SKIP) two.computeIfAbsent(d.pairId(), k -> new ArrayList<>()).add(d);
        }
        List<Choice[]> ratings = new ArrayList<>();
        for (List<Decision> ds : two.values()) if (ds.size() == 2) ratings.add(new Choice[] {ds.get(0).choice(), ds.get(1).choice()});
        return Kappa.of(ratings);
    }

    private Map<String, Map<String, Decision>> byPair() {
        Map<String, Map<String, Decision>> out = new HashMap<>();
        for (Decision d : journal.live()) out.computeIfAbsent(d.pairId(), k -> new HashMap<>()).put(d.annotator(), d);
        return out;
    }

    private static boolean decided(Map<String, Map<String, Decision>> byPair, String pairId, String annotator) {
        return byPair.getOrDefault(pairId, Map.of()).containsKey(annotator);
    }

    private static int nonSkip(Map<String, Map<String, Decision>> byPair, String pairId) {
        return (int) byPair.getOrDefault(pairId, Map.of()).values().stream().filter(d -> d.choice() != Choice.SKIP).count();
    }

    /** Non-skip decisions plus other annotators' unexpired leases on the pair. */
    private int taken(Map<String, Map<String, Decision>> byPair, String pairId, String annotator, Instant now) {
        int n = nonSkip(byPair, pairId);
        for (Map.Entry<String, Lease> e : leases.entrySet()) {
            Lease l = e.getValue();
            if (!e.getKey().equals(annotator) && l.pairId().equals(pairId) && l.expires().isAfter(now)) n++;
        }
        return n;
    }

    private static void checkAnnotator(String annotator) {
        if (annotator == null || annotator.isBlank() || annotator.chars().anyMatch(Character::isISOControl)) {
            throw new QueueException(QueueException.Kind.BAD_ANNOTATOR, "annotator name must be non-empty text without control characters");
        }
    }

    private void writeView() {
        try {
            PrefsView.write(prefs, answers.pairs(), journal.live());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + prefs + " (the decision is safe in the journal; a rerun rebuilds it): "
                    + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            journal.close();
        } finally {
            answers.close();
        }
    }
}
