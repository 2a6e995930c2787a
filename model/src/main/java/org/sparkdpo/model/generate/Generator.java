package org.sparkdpo.model.generate;

import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.HfTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Text generation: prompts (token ids) in, generated ids, text and finish reason out, with the sampling of a
 * {@link GenerationConfig}. The decoding itself is a {@link Decoder}: {@link #withKvCache} for use,
 * {@link #withoutCache} as the reference and for comparison.
 *
 * <p>A prompt must leave room for at least one new token: prompts of the model's context length or longer are
 * refused before anything runs, with a message naming both lengths. A sequence also stops ({@code length}) when
 * prompt + generated tokens fill the context. Not thread-safe (one decoder per generator).
 */
public final class Generator {
    private final Decoder decoder;
    private final int maxPositions;
    private final HfTokenizer tokenizer;

    /**
     * @param decoder       the decoding implementation
     * @param maxPositions  the model's context length
     * @param tokenizer     decodes the generated ids to text; null leaves {@link Generation#text()} null
     */
    public Generator(Decoder decoder, int maxPositions, HfTokenizer tokenizer) {
        this.decoder = decoder;
        this.maxPositions = maxPositions;
        this.tokenizer = tokenizer;
    }

    /** Incremental decoding with a key/value cache, base model plus an optional (unmerged) LoRA adapter. */
    public static Generator withKvCache(BaseWeights base, LoraAdapter adapter, HfTokenizer tokenizer) {
        return new Generator(new KvCacheDecoder(base, adapter), base.model().config().maxPositions(), tokenizer);
    }

    /** The same generation recomputing every sequence in full at each step (reference, benchmark baseline). */
    public static Generator withoutCache(BaseWeights base, LoraAdapter adapter, HfTokenizer tokenizer) {
        return new Generator(new FullForwardDecoder(base, adapter), base.model().config().maxPositions(), tokenizer);
    }

    /**
     * Generates for every prompt, {@code batchSize} prompts at a time (in request order). Results are in prompt
     * order; a prompt's result does not depend on the batch size (up to float rounding of its logits).
     */
    public List<Generation> generate(List<int[]> prompts, GenerationConfig config, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        for (int i = 0; i < prompts.size(); i++) checkPrompt(i, prompts.get(i));
        List<Generation> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += batchSize) {
            out.addAll(batch(prompts, from, Math.min(prompts.size(), from + batchSize), config));
        }
        return out;
    }

    /** All prompts as one batch. */
    public List<Generation> generate(List<int[]> prompts, GenerationConfig config) {
        return generate(prompts, config, Math.max(1, prompts.size()));
    }

    /** Refuses an empty prompt or one that leaves no room for a new token in the model's context. */
    public void checkPrompt(int index, int[] prompt) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt " + index + " is empty");
        if (prompt.length >= maxPositions) {
            throw new IllegalArgumentException("prompt " + index + " has " + prompt.length + " tokens but the model's context is "
                    + maxPositions + " positions, which leaves no room for a new token (at most " + (maxPositions - 1)
                    + " prompt tokens)");
        }
    }

    private List<Generation> batch(List<int[]> prompts, int from, int to, GenerationConfig c) {
        int s = to - from;
        int[][] batch = new int[s][];
        int[] limit = new int[s];
        int longest = 0;
        SplittableRandom[] rng = new SplittableRandom[s];
        for (int i = 0; i < s; i++) {
            batch[i] = prompts.get(from + i);
            limit[i] = Math.min(c.maxNewTokens(), maxPositions - batch[i].length);
            longest = Math.max(longest, limit[i]);
            rng[i] = Sampler.streamFor(c.seed(), from + i);
        }
        int[][] generated = new int[s][longest];
        int[] count = new int[s];
        FinishReason[] finish = new FinishReason[s];
        int running = s;
        double[][] logits = decoder.prefill(batch, longest);
        int[] next = new int[s];
        while (true) {
            for (int i = 0; i < s; i++) {
                if (finish[i] != null) continue;
                int tok = Sampler.next(logits[i], c, rng[i]);
                generated[i][count[i]++] = tok;
                next[i] = tok;
                if (c.eosTokenIds().contains(tok)) finish[i] = FinishReason.EOS;
                else if (count[i] == limit[i]) finish[i] = FinishReason.LENGTH;
                if (finish[i] != null) running--;
            }
            if (running == 0) break;
            logits = decoder.step(next);                 // finished sequences are fed their last token again
        }
        List<Generation> out = new ArrayList<>(s);
        for (int i = 0; i < s; i++) {
            int[] ids = Arrays.copyOf(generated[i], count[i]);
            String text = null;
            if (tokenizer != null) {
                int textLen = finish[i] == FinishReason.EOS ? ids.length - 1 : ids.length;
                text = tokenizer.decode(Arrays.copyOf(ids, textLen));
            }
            out.add(new Generation(from + i, batch[i].clone(), ids, text, finish[i]));
        }
        return out;
    }
}
