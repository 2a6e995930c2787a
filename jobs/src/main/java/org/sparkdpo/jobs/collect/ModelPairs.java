package org.sparkdpo.jobs.collect;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.sparkdpo.jobs.generate.Answer;
import org.sparkdpo.jobs.generate.Answerer;
import org.sparkdpo.jobs.generate.PromptFile;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.tokenizer.ChatMessage;

/**
 * Pairs sampled from the current model: for each prompt, answer A with the sampling settings and answer B with
 * {@code temperatureB} and another seed, resampling B (new seed each try) until it differs from A, at most
 * {@code tries} times. Seeds depend on the prompt's position, so a rerun samples the same pair. The pair id is the
 * prompt's id (stable across reruns).
 */
final class ModelPairs {
    /** A prompt whose two samples stayed equal: it yields no pair. */
    record Equal(String promptId, int tries) {}

    private final List<PromptFile.Prompt> prompts;
    private final Answerer answerer;
    private final GenerationConfig configA;
    private final double temperatureB;
    private final int tries;
    private final String model, adapter;
    private final List<Equal> equal = new ArrayList<>();
    private final Map<String, Boolean> attempted = new LinkedHashMap<>();

    ModelPairs(List<PromptFile.Prompt> prompts, Answerer answerer, GenerationConfig configA, double temperatureB, int tries,
               String model, String adapter) {
        this.prompts = prompts;
        this.answerer = answerer;
        this.configA = configA;
        this.temperatureB = temperatureB;
        this.tries = tries;
        this.model = model;
        this.adapter = adapter;
    }

    /**
     * Samples the pair of the first prompt the queue holds no pair for (and not tried in this run), adds it to the
     * queue and returns it; empty when every prompt has its pair (or yielded equal samples).
     */
    Optional<LabelPair> produceNext(AnnotationQueue queue) {
        for (int i = 0; i < prompts.size(); i++) {
            PromptFile.Prompt p = prompts.get(i);
            if (queue.pair(p.id()).isPresent() || attempted.containsKey(p.id())) continue;
            attempted.put(p.id(), true);
            Optional<LabelPair> pair = sample(p, i);
            if (pair.isPresent()) return Optional.of(queue.addPair(pair.get()));
        }
        return Optional.empty();
    }

    /** Prompts whose samples stayed equal in this run. */
    List<Equal> equal() {
        return List.copyOf(equal);
    }

    private Optional<LabelPair> sample(PromptFile.Prompt p, int position) {
        long base = configA.seed() + 1_000_003L * position;
        String a = one(p, configA.withSeed(base));
        for (int t = 1; t <= tries; t++) {
            GenerationConfig b = new GenerationConfig(temperatureB, configA.topK(), configA.topP(), configA.maxNewTokens(),
                    base + t, configA.eosTokenIds());
            String answerB = one(p, b);
            if (!answerB.equals(a)) return Optional.of(new LabelPair(p.id(), prompt(p), a, answerB, model, adapter));
        }
        equal.add(new Equal(p.id(), tries));
        return Optional.empty();
    }

    private String one(PromptFile.Prompt p, GenerationConfig c) {
        List<Answer> out = answerer.answer(List.of(p), c, 1);
        return out.get(0).completion();
    }

    static Object prompt(PromptFile.Prompt p) {
        if (!p.chat()) return p.text();
        List<Map<String, String>> messages = new ArrayList<>();
        for (ChatMessage m : p.messages()) messages.add(Map.of("role", m.role(), "content", m.content()));
        return List.copyOf(messages);
    }
}
