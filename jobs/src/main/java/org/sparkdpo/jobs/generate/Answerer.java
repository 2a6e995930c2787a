package org.sparkdpo.jobs.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.generate.Generation;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.generate.Generator;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.ChatTemplateException;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.pair.PairEncoder;

/**
 * Answers prompts with one model (base weights plus an optional LoRA adapter, unmerged) by incremental decoding with
 * a KV cache. Text prompts are encoded as {@code prepare} encodes them (one BOS when the tokenizer adds one);
 * conversations are rendered with the tokenizer's chat template and its generation prompt.
 */
public final class Answerer {
    private final HfTokenizer tokenizer;
    private final PairEncoder encoder;
    private final Generator generator;

    public Answerer(BaseWeights base, LoraAdapter adapterOrNull, HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.encoder = new PairEncoder(tokenizer);
        this.generator = Generator.withKvCache(base, adapterOrNull, tokenizer);
    }

    /** The prompt's ids; a conversation needs a chat template. */
    public int[] promptIds(PromptFile.Prompt p) {
        if (!p.chat()) return encoder.encodePrompt(p.text());
        if (!tokenizer.hasChatTemplate()) {
            throw new JobFailedException("prompt '" + p.id() + "' is a conversation but the tokenizer in " + tokenizer.modelDir()
                    + " has no chat template (give the prompt as text instead)");
        }
        try {
            return tokenizer.encodeChatPrompt(p.messages(), true);
        } catch (ChatTemplateException e) {
            throw new JobFailedException("prompt '" + p.id() + "': chat template: " + e.getMessage(), e);
        }
    }

    /** Answers every prompt, {@code batchSize} at a time; results in prompt order. */
    public List<Answer> answer(List<PromptFile.Prompt> prompts, GenerationConfig config, int batchSize) {
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (PromptFile.Prompt p : prompts) ids.add(promptIds(p));
        for (int i = 0; i < ids.size(); i++) {
            try {
                generator.checkPrompt(i, ids.get(i));
            } catch (IllegalArgumentException e) {
                throw new JobFailedException("prompt '" + prompts.get(i).id() + "': " + e.getMessage());
            }
        }
        List<Generation> gens = generator.generate(ids, config, batchSize);
        List<Answer> out = new ArrayList<>(gens.size());
        for (Generation g : gens) {
            out.add(new Answer(prompts.get(g.index()), g.promptIds(), g.tokenIds(), g.text(), g.finishReason()));
        }
        return out;
    }

    /** Every stop id of the model folder (config.json and generation_config.json) and the tokenizer's EOS. */
    public static Set<Integer> eosTokenIds(java.nio.file.Path modelDir, HfTokenizer tokenizer) {
        Set<Integer> ids = new TreeSet<>();
        try {
            ids.addAll(GenerationConfig.eosTokenIds(modelDir));
        } catch (java.io.IOException e) {
            throw new JobFailedException(e.getMessage(), e);
        }
        tokenizer.eosTokenId().ifPresent(ids::add);
        return ids;
    }
}
