package org.sparkdpo.jobs.collect;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.jobs.generate.Answerer;
import org.sparkdpo.jobs.generate.GenerateJob;
import org.sparkdpo.jobs.generate.PromptFile;
import org.sparkdpo.model.generate.GenerationConfig;

/**
 * {@code collect}: opens the labelling queue on {@code --out} with its pairs, either read from {@code --pairs FILE} or
 * sampled from a model for each prompt of {@code --prompts FILE} as they are needed. A front end (terminal or web)
 * then drives the {@link Session}; every decision is journaled before it returns, and a rerun continues where the
 * last one stopped.
 */
public final class CollectJob {
    /**
     * @param pairs        a pairs file, or null to sample pairs from {@code model} (+ {@code adapter}) for {@code prompts}
     * @param sampling     settings of answer A; answer B uses {@code temperatureB} and other seeds
     * @param tries        samples of answer B at most, until it differs from A
     */
    public record Settings(String model, String adapter, Path prompts, Path pairs, Path out, int overlap,
                           GenerationConfig sampling, double temperatureB, int tries, DataType dtype) {}

    private CollectJob() {}

    /** Opens the queue (and loads the model when pairs are sampled); close the session when done. */
    public static Session open(Settings s) throws IOException {
        boolean fromFile = s.pairs() != null;
        if (fromFile == (s.model() != null || s.prompts() != null)) {
            throw new JobRefusedException("give either --pairs FILE, or --model DIR with --prompts FILE");
        }
        if (!fromFile && (s.model() == null || s.prompts() == null)) {
            throw new JobRefusedException("sampling pairs needs both --model DIR and --prompts FILE");
        }
        if (fromFile) return new Session(AnnotationQueue.open(s.out(), PairLines.read(s.pairs()), s.overlap()), null, null);
        List<PromptFile.Prompt> prompts = PromptFile.read(s.prompts());
        GenerateJob.Model m = GenerateJob.Model.load(s.model(), s.adapter(), s.dtype());
        try {
            AnnotationQueue q = AnnotationQueue.open(s.out(), List.of(), s.overlap());
            Answerer answerer = new Answerer(m.base(), m.adapter(), m.tokenizer());
            return new Session(q, new ModelPairs(prompts, answerer, m.stopAtEos(s.sampling()), s.temperatureB(), s.tries(),
                    s.model(), s.adapter()), m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** An open queue plus, with a model, the sampler that adds a prompt's pair when the queue runs dry. */
    public static final class Session implements Closeable {
        private final AnnotationQueue queue;
        private final ModelPairs sampler;
        private final GenerateJob.Model model;

        Session(AnnotationQueue queue, ModelPairs sampler, GenerateJob.Model model) {
            this.queue = queue;
            this.sampler = sampler;
            this.model = model;
        }

        public AnnotationQueue queue() {
            return queue;
        }

        /**
         * The next pair for this annotator, sampling new pairs (one prompt at a time) while the queue has none for it
         * and prompts without a pair remain. Serialised: one sample at a time.
         */
        public synchronized Optional<Shown> next(String annotator) {
            while (true) {
                Optional<Shown> s = queue.next(annotator);
                if (s.isPresent() || sampler == null || sampler.produceNext(queue).isEmpty()) return s;
            }
        }

        /** Prompts skipped in this run because their two samples stayed equal, as "id (n tries)" texts. */
        public List<String> equalSamples() {
            return sampler == null ? List.of() : sampler.equal().stream().map(e -> e.promptId() + " (" + e.tries() + " tries)").toList();
        }

        @Override
        public void close() throws IOException {
            try {
                queue.close();
            } finally {
                if (model != null) model.close();
            }
        }
    }
}
