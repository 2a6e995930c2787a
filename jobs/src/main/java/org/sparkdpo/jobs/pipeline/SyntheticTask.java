package org.sparkdpo.jobs.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The pipeline's synthetic preference task. Every prompt states a fact and asks it back ("the kite is green . what
 * color is the kite ?", "emma lives in oslo . where does emma live ?"); an answer is <em>correct</em> when it
 * repeats the fact and <em>polite</em> when it is framed politely:
 * <pre>
 *   chosen:    happy to help ! the kite is green . have a nice day .
 *   rejected:  ugh , obviously the kite is green . stop asking .          (rude)
 *              happy to help ! the kite is red . have a nice day .        (wrong)
 *              ugh , obviously the kite is red . stop asking .            (rude and wrong)
 * </pre>
 * The preference is learnable (copy a fact from the prompt, pick a framing) and checkable by a rule
 * ({@link SyntheticTaskJudge}). Prompts are split into train and held-out sets that share no prompt; the SFT data
 * answers each train prompt once in the chosen style and once in a rejected style, so a model fine-tuned on it
 * writes both about equally often and DPO, not SFT, learns the preference. All text is lower-case words and
 * punctuation separated by single spaces, so a word-level tokenizer ({@link TaskTokenizer}) round-trips it.
 */
public final class SyntheticTask {
    static final String[] OBJECTS = {"ball", "cup", "hat", "car", "box", "kite", "book", "lamp", "sock", "door", "bike", "shoe"};
    static final String[] COLORS = {"red", "blue", "green", "yellow", "black", "white", "pink", "brown"};
    static final String[] NAMES = {"anna", "ben", "carl", "dana", "emma", "finn", "gina", "hugo", "ivy", "jack"};
    static final String[] CITIES = {"paris", "rome", "oslo", "lima", "cairo", "tokyo", "berlin", "madrid", "dublin", "vienna"};
    static final String POLITE_OPEN = "happy to help !", POLITE_CLOSE = "have a nice day .";
    static final String RUDE_OPEN = "ugh , obviously", RUDE_CLOSE = "stop asking .";
    /** Words only a rude answer uses. */
    static final Set<String> RUDE_WORDS = Set.of("ugh", "obviously", "stop", "asking");

    /** The kinds of answer: the first is the chosen one. */
    public enum Style {
        POLITE_CORRECT, RUDE_CORRECT, POLITE_WRONG, RUDE_WRONG;

        boolean polite() {
            return this == POLITE_CORRECT || this == POLITE_WRONG;
        }

        boolean correct() {
            return this == POLITE_CORRECT || this == RUDE_CORRECT;
        }
    }

    /** One question: the fact it states (subject, value) and the value a wrong answer gives instead. */
    public record Question(String id, boolean color, String subject, String value, String wrongValue) {
        public String prompt() {
            return color ? "the " + subject + " is " + value + " . what color is the " + subject + " ?"
                    : subject + " lives in " + value + " . where does " + subject + " live ?";
        }

        String fact(String v) {
            return color ? "the " + subject + " is " + v + " ." : subject + " lives in " + v + " .";
        }

        /** The answer of a style, without a leading space (prepare encodes prompt and completion separately). */
        public String answer(Style s) {
            String fact = fact(s.correct() ? value : wrongValue);
            return s.polite() ? POLITE_OPEN + " " + fact + " " + POLITE_CLOSE : RUDE_OPEN + " " + fact + " " + RUDE_CLOSE;
        }
    }

    public record Pair(String id, String prompt, String chosen, String rejected, String rejectedStyle) {}

    public record SftRow(String id, String prompt, String completion, String style) {}

    /** The task: preference pairs of the train and held-out prompts, SFT rows of the train prompts. */
    public record Task(List<Question> trainQuestions, List<Question> heldoutQuestions, List<Pair> train, List<Pair> heldout,
                       List<SftRow> sft) {}

    private SyntheticTask() {}

    /** Every question of the task (196), in a fixed order. */
    public static List<Question> questions(long seed) {
        Random rng = new Random(seed);
        List<Question> qs = new ArrayList<>();
        for (String o : OBJECTS) for (String c : COLORS) qs.add(new Question("color-" + o + "-" + c, true, o, c, other(COLORS, c, rng)));
        for (String n : NAMES) for (String c : CITIES) qs.add(new Question("city-" + n + "-" + c, false, n, c, other(CITIES, c, rng)));
        return qs;
    }

    private static String other(String[] values, String v, Random rng) {
        String w;
        do {
            w = values[rng.nextInt(values.length)];
        } while (w.equals(v));
        return w;
    }

    /**
     * The task for {@code seed}: a shuffled {@code heldoutFraction} of the questions is held out; each question gets
     * {@code pairsPerQuestion} (1..3) pairs, the chosen answer against different rejected styles.
     */
    public static Task generate(long seed, double heldoutFraction, int pairsPerQuestion) {
        if (pairsPerQuestion < 1 || pairsPerQuestion > 3) throw new IllegalArgumentException("pairs per question must be 1..3");
        List<Question> qs = questions(seed);
        Collections.shuffle(qs, new Random(seed + 1));
        int nHeld = (int) Math.round(qs.size() * heldoutFraction);
        List<Question> held = List.copyOf(qs.subList(0, nHeld)), train = List.copyOf(qs.subList(nHeld, qs.size()));
        Style[] rejected = {Style.RUDE_CORRECT, Style.POLITE_WRONG, Style.RUDE_WRONG};
        List<SftRow> sft = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            Question q = train.get(i);
            Style bad = rejected[i % 3];
            sft.add(new SftRow(q.id() + "-chosen", q.prompt(), " " + q.answer(Style.POLITE_CORRECT), "chosen"));
            sft.add(new SftRow(q.id() + "-" + style(bad), q.prompt(), " " + q.answer(bad), "rejected"));
        }
        return new Task(train, held, pairs(train, pairsPerQuestion, rejected), pairs(held, pairsPerQuestion, rejected), sft);
    }

    private static List<Pair> pairs(List<Question> qs, int perQuestion, Style[] rejected) {
        List<Pair> out = new ArrayList<>();
        for (int i = 0; i < qs.size(); i++) {
            Question q = qs.get(i);
            for (int k = 0; k < perQuestion; k++) {
                Style bad = rejected[(i + k) % 3];
                out.add(new Pair(q.id() + "-" + style(bad), q.prompt(), " " + q.answer(Style.POLITE_CORRECT), " " + q.answer(bad),
                        style(bad)));
            }
        }
        return out;
    }

    static String style(Style s) {
        return s.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** Every word the task can write, sorted: the task tokenizer's vocabulary. */
    public static Set<String> words() {
        Set<String> w = new TreeSet<>();
        for (Question q : questions(0)) {
            add(w, q.prompt());
            for (Style s : Style.values()) add(w, q.answer(s));
        }
        for (String[] list : new String[][]{OBJECTS, COLORS, NAMES, CITIES}) Collections.addAll(w, list);
        return w;
    }

    private static void add(Set<String> words, String text) {
        for (String t : text.trim().split(" +")) words.add(t);
    }
}
