package org.sparkdpo.model.exec;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.array.SingleThreadArrayHolder;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.logprob.LogProbGraph;
import org.sparkdpo.model.logprob.SequenceBatch;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.nn.ActivationArena;
import org.sparkdpo.model.nn.BackwardGraph;
import org.sparkdpo.model.nn.GradFunctions;
import org.sparkdpo.model.nn.WorkspaceSessions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Runs a causal LM as a chain of small SameDiff graphs instead of one graph per batch: the embedding, one graph
 * per transformer block, and the output head on chunks of scored rows. Java carries the residual stream from
 * graph to graph, so a graph execution only ever holds one block (or one head chunk) of intermediate arrays, and
 * the per-thread workspace of {@link WorkspaceSessions} is sized by the largest of them instead of by a whole
 * step.
 *
 * <p>The output head (final norm, projection to the vocabulary, log-softmax, the target's log-prob) runs on at
 * most {@link #chunkRows()} scored rows at a time, forward and backward, so at most one chunk of
 * [rows x vocabulary] logits is alive; prompt and padding rows never reach it. The final norm is a small graph;
 * the vocabulary part is {@link VocabHead}, two GEMMs and in-place passes over one reused logits buffer.
 *
 * <p>Training ({@link #step}) is activation checkpointing per block: the forward sweep keeps only each block's
 * input [S*T, E]; the backward sweep re-runs block i's forward inside its gradient graph with the incoming
 * gradient dL/dx_{i+1} as a placeholder g (the graph's loss is sum(x_{i+1} * g), whose gradient is exactly the
 * chained one), yielding the block's LoRA gradients and dL/dx_i. Because a head row's log-prob depends on that
 * row only, the head runs forward and backward once, before the loss is known: it yields each row's gradient
 * d logp/d h, which the loss's dL/d logp then scales per row.
 *
 * <p>Transformer blocks act on each sequence separately, so a block runs on groups of at most
 * {@link #blockSequences} sequences at a time (forward and backward; LoRA gradients summed over the groups): the
 * attention arrays [sequences x heads x T x T] of long sequences would otherwise dominate a step's memory (about
 * 200 MB each for 16 sequences of 512 tokens with 12 heads, a dozen of them per block gradient). The group size
 * keeps one attention array within 2^24 elements unless a caller fixes it.
 *
 * <p>LoRA matrices are graph variables whose arrays are associated per call (views into a trainer's parameter
 * vector work); dropout masks are placeholders. Not thread-safe: one instance per thread.
 */
public final class BlockwiseLm {
    static final String X = "x";
    static final String X_OUT = "x_out";
    static final String GRAD_OUT = "grad_out";
    static final String HEAD_IN = "head_in";
    static final String HEAD_NORMED = "head_normed";
    /** Batch shapes (S, T) whose graphs are kept, as the one-graph scorer and objective keep 48 whole graphs. */
    private static final int MAX_SHAPES = 48;
    /** Elements of one [rows x vocabulary] logits chunk that the default chunk size aims at (32 MiB in float32). */
    private static final long CHUNK_ELEMENTS = 1L << 23;
    /** Elements of one [sequences x heads x T x T] attention array that the default sequence group aims at (64 MiB in float32). */
    private static final long ATTENTION_ELEMENTS = 1L << 24;

    /** Per scored row (in {@link SequenceBatch#scoredRows()} order): the target's log-prob and the row's logit sum. */
    public record RowScores(double[] tokenLogps, double[] logitSums) {
        /** Sums per sequence of a batch. */
        public double[] perSequence(double[] rowValues, SequenceBatch batch) {
            double[] out = new double[batch.numSequences()];
            int[] seqOf = batch.sequenceOfRow();
            for (int k = 0; k < seqOf.length; k++) out[seqOf[k]] += rowValues[k];
            return out;
        }
    }

    /**
     * A training step's row scores, the gradient of the loss with respect to every LoRA matrix, and where the
     * time went (seconds): the forward sweep over the blocks, the head chunks (forward and backward, plus the
     * loss), and the backward sweep (each block recomputed, then differentiated).
     */
    public record Step(RowScores scores, Map<String, INDArray> gradients, double forwardS, double headS, double backwardS) {}

    private final BaseWeights base;
    private final CausalLm model;
    private final Map<String, LinearModule> loraModules = new LinkedHashMap<>();
    private final int loraRank;
    private final double loraScaling;
    private final boolean dropoutMasks;
    private final int chunkRows;
    private final int groupSequences;
    private final int maxGraphs;
    private final boolean keepActivations;
    /** Where a kept-activations step's forward outputs live (one per instance: instances are per thread). */
    private final ActivationArena arena;
    private final Map<String, INDArray> shapeStandIns = new HashMap<>();
    private final VocabHead vocabHead;
    private final Map<List<Object>, Graph> graphs = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<List<Object>, Graph> e) {
            return size() > maxGraphs;
        }
    };

    /**
     * One built graph and the LoRA variables (in creation order) that it holds; for training graphs of a
     * {@link #keepActivations} instance, its gradient function split into a backward half (else null).
     */
    private record Graph(SameDiff sd, List<String> loraVars, BackwardGraph backward) {
        Graph(SameDiff sd, List<String> loraVars) {
            this(sd, loraVars, null);
        }
    }

    /**
     * @param loraModules  modules that carry LoRA (empty: the base model)
     * @param dropoutMasks whether LoRA inputs are multiplied by dropout-mask placeholders
     * @param chunkRows    scored rows per head chunk; 0 picks about 2^23 logits per chunk
     */
    public BlockwiseLm(BaseWeights base, List<LinearModule> loraModules, int loraRank, double loraScaling,
                       boolean dropoutMasks, int chunkRows) {
        this(base, loraModules, loraRank, loraScaling, dropoutMasks, chunkRows, 0);
    }

    /**
     * @param groupSequences sequences per block execution; 0 picks the most whose attention array stays within
     *                       2^24 elements (see {@link #blockSequences})
     */
    public BlockwiseLm(BaseWeights base, List<LinearModule> loraModules, int loraRank, double loraScaling,
                       boolean dropoutMasks, int chunkRows, int groupSequences) {
        this(base, loraModules, loraRank, loraScaling, dropoutMasks, chunkRows, groupSequences, false);
    }

    /**
     * @param keepActivations training keeps every block's saved activations from the forward sweep and runs only
     *                        the backward half of each block's gradient ({@link BackwardGraph}): one forward pass
     *                        per step instead of two, for the memory of all blocks' activations instead of one
     *                        block's (false: activation checkpointing, HF/TRL's {@code gradient_checkpointing})
     */
    public BlockwiseLm(BaseWeights base, List<LinearModule> loraModules, int loraRank, double loraScaling,
                       boolean dropoutMasks, int chunkRows, int groupSequences, boolean keepActivations) {
        this.base = base;
        this.keepActivations = keepActivations;
        this.arena = keepActivations ? new ActivationArena(base.dtype()) : null;
        this.groupSequences = groupSequences;
        this.model = base.model();
        for (LinearModule m : loraModules) this.loraModules.put(m.path(), m);
        this.loraRank = loraRank;
        this.loraScaling = loraScaling;
        this.dropoutMasks = dropoutMasks;
        this.vocabHead = new VocabHead(base.get(model.lmHeadWeight()));
        this.chunkRows = chunkRows > 0 ? chunkRows : defaultChunkRows(model.config().vocabSize());
        // per shape: the embedding and every block forward and gradient graph (two group sizes); plus the head chunks
        this.maxGraphs = MAX_SHAPES * (4 * model.config().numLayers() + 1) + 16;
    }

    /** The largest row bucket (see {@link LogProbGraph#paddedRows}) whose logits stay within 2^23 elements. */
    static int defaultChunkRows(int vocab) {
        int rows = LogProbGraph.MIN_ROWS;
        while (true) {
            int next = LogProbGraph.paddedRows(rows + 1);
            if ((long) next * vocab > CHUNK_ELEMENTS || next > 4096) return rows;
            rows = next;
        }
    }

    public int chunkRows() {
        return chunkRows;
    }

    /**
     * Sequences per block execution for a batch of {@code s} sequences of {@code t} tokens: the fixed group size,
     * or the fewest equal groups whose [group x heads x t x t] attention array fits 2^24 elements.
     */
    public int blockSequences(int s, int t) {
        if (groupSequences > 0) return Math.min(groupSequences, s);
        long perSequence = (long) model.config().numHeads() * t * t;
        int fit = (int) Math.max(1, Math.min(s, ATTENTION_ELEMENTS / perSequence));
        int groups = (s + fit - 1) / fit;
        return (s + groups - 1) / groups;
    }

    /** Forward only: per-row target log-probs and logit sums. */
    public RowScores score(SequenceBatch batch, Map<String, INDArray> lora, Map<String, INDArray> masks) {
        return run(batch, lora, masks, null).scores();
    }

    /** Bytes this instance holds for kept activations between steps (0 unless it keeps activations). */
    public long keptActivationBytes() {
        return arena == null ? 0 : arena.capacityBytes();
    }

    /**
     * Forward and backward with checkpointed blocks.
     *
     * @param lossGradient given the per-sequence log-prob sums, returns dL/d(sum) per sequence
     */
    public Step step(SequenceBatch batch, Map<String, INDArray> lora, Map<String, INDArray> masks,
                     UnaryOperator<double[]> lossGradient) {
        return run(batch, lora, masks, lossGradient);
    }

    private Step run(SequenceBatch batch, Map<String, INDArray> lora, Map<String, INDArray> masks,
                     UnaryOperator<double[]> lossGradient) {
        boolean train = lossGradient != null;
        DataType dt = base.dtype();
        int s = batch.numSequences();
        int t = batch.paddedLength();
        int layers = model.config().numLayers();
        Map<String, INDArray> batchPh = batch.placeholders(dt);
        INDArray positions = batchPh.get(LogProbGraph.POSITIONS);

        long t0 = System.nanoTime();
        Graph embed = graph(List.of("embed", s, t), () -> buildEmbed(s, t));
        INDArray x = output(embed, Map.of(LogProbGraph.IDS, batchPh.get(LogProbGraph.IDS),
                LogProbGraph.POSITIONS, positions), X_OUT).get(X_OUT);
        INDArray[] blockInputs = new INDArray[layers];
        int group = blockSequences(s, t);
        boolean keep = train && keepActivations;
        if (keep) arena.reset();
        List<List<Map<String, INDArray>>> kept = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            blockInputs[i] = x;
            List<Map<String, INDArray>> saved = keep ? new ArrayList<>() : null;
            x = blockForward(i, x, positions, masks, lora, s, t, group, train, saved);
            kept.add(saved);
            if (!train) blockInputs[i].close();
        }

        long t1 = System.nanoTime();
        long[] rows = batch.scoredRows();
        long[] targets = batch.targets();
        int n = rows.length;
        INDArray hidden = x.getRows(toInts(rows));                                     // [N, E]
        if (!keep) x.close();                                  // kept: the last block's saved output
        double[] tokenLogps = new double[n];
        double[] logitSums = new double[n];
        INDArray rowGrads = train ? Nd4j.create(dt, n, model.config().hiddenSize()) : null;
        for (int from = 0; from < n; from += chunkRows) {
            int len = Math.min(chunkRows, n - from);
            int padded = Math.min(chunkRows, LogProbGraph.paddedRows(len));
            Graph g = graph(List.of("final_norm", padded, train), () -> buildFinalNorm(padded, train));
            INDArray in = Nd4j.create(dt, padded, hidden.size(1));
            in.get(NDArrayIndex.interval(0, len), NDArrayIndex.all())
                    .assign(hidden.get(NDArrayIndex.interval(from, from + len), NDArrayIndex.all()));
            INDArray normed = output(g, Map.of(HEAD_IN, in), HEAD_NORMED).get(HEAD_NORMED);
            long[] tg = java.util.Arrays.copyOfRange(targets, from, from + len);
            VocabHead.Rows r = vocabHead.apply(normed, tg, len, train);
            System.arraycopy(r.tokenLogps(), 0, tokenLogps, from, len);
            System.arraycopy(r.logitSums(), 0, logitSums, from, len);
            normed.close();
            if (train) {
                INDArray upstream = r.inputGrad();                               // [padded, E], zero past len
                Map<String, INDArray> ph = new HashMap<>(Map.of(HEAD_IN, in, GRAD_OUT, upstream));
                INDArray d = gradients(g, ph, List.of(), List.of(HEAD_IN)).getGradients().get(HEAD_IN);
                rowGrads.get(NDArrayIndex.interval(from, from + len), NDArrayIndex.all())
                        .assign(d.get(NDArrayIndex.interval(0, len), NDArrayIndex.all()));
                d.close();
                upstream.close();
            }
            in.close();
        }
        hidden.close();
        RowScores scores = new RowScores(tokenLogps, logitSums);
        if (!train) return new Step(scores, Map.of(), (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9, 0);

        // dL/dh_k = dL/dsum_{seq(k)} * dlogp_k/dh_k, scattered back to the rows of the residual stream
        double[] seqGrad = lossGradient.apply(scores.perSequence(tokenLogps, batch));
        int[] seqOf = batch.sequenceOfRow();
        double[] rowScale = new double[n];
        for (int k = 0; k < n; k++) rowScale[k] = seqGrad[seqOf[k]];
        rowGrads.muliColumnVector(Nd4j.create(rowScale, new long[]{n, 1}, DataType.DOUBLE).castTo(dt));
        INDArray dx = Nd4j.create(dt, (long) s * t, model.config().hiddenSize());
        for (int k = 0; k < n; k++) dx.putRow(rows[k], rowGrads.getRow(k));
        rowGrads.close();
        long t2 = System.nanoTime();
        Map<String, INDArray> grads = new HashMap<>();
        for (int i = layers - 1; i >= 0; i--) {
            boolean needInputGrad = i > 0;
            if (blockGraph(i, Math.min(group, s), t, true).loraVars().isEmpty() && !needInputGrad) break;
            INDArray dxIn = blockBackward(i, blockInputs[i], dx, kept.get(i), positions, masks, lora, s, t, group,
                    needInputGrad, grads);
            release(dx);
            // block i's output, not its input: a kept block's saved arrays can be its output array itself
            if (i + 1 < layers) release(blockInputs[i + 1]);
            dx = dxIn;
        }
        for (List<Map<String, INDArray>> blockSaved : kept) {
            if (blockSaved != null) blockSaved.forEach(m -> m.values().forEach(BlockwiseLm::release));
        }
        release(x);
        for (INDArray in : blockInputs) release(in);
        release(dx);
        return new Step(scores, grads, (t1 - t0) / 1e9, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9);
    }

    /**
     * Block {@code layer}'s output [S*T, E] for input x, computed on groups of {@code group} sequences. With
     * {@code saved} non-null, each group's saved activations (see {@link BackwardGraph#saved}) are added to it.
     */
    private INDArray blockForward(int layer, INDArray x, INDArray positions, Map<String, INDArray> masks,
                                  Map<String, INDArray> lora, int s, int t, int group, boolean train,
                                  List<Map<String, INDArray>> saved) {
        // training runs the forward sweep on the gradient graphs too: one graph per block to build, not two
        if (group >= s) {
            Graph g = blockGraph(layer, s, t, train);
            Map<String, INDArray> r = output(g, saved != null ? arena : null,
                    bindLora(g, lora, blockPlaceholders(g, x, positions, masks)), outputs(g));
            if (saved != null) keep(g, r, saved);
            return r.get(X_OUT);
        }
        INDArray out = Nd4j.create(x.dataType(), x.shape());
        for (int first = 0; first < s; first += group) {
            int n = Math.min(group, s - first);
            Graph g = blockGraph(layer, n, t, train);
            Map<String, INDArray> ph = groupPlaceholders(g, x, positions, masks, (long) first * t, (long) (first + n) * t);
            Map<String, INDArray> r = output(g, saved != null ? arena : null, bindLora(g, lora, ph), outputs(g));
            INDArray y = r.get(X_OUT);
            rowsOf(out, (long) first * t, (long) (first + n) * t).assign(y);
            if (saved != null) {
                keep(g, r, saved);
            } else {
                y.close();
            }
            ph.values().forEach(INDArray::close);
        }
        return out;
    }

    /**
     * What a block's forward run returns: its output, and with a backward half, the activations it saves (and, the
     * first time, the shapes of the arrays the backward reads only for their shapes).
     */
    private static String[] outputs(Graph g) {
        if (g.backward() == null) return new String[]{X_OUT};
        LinkedHashSet<String> names = new LinkedHashSet<>();
        names.add(X_OUT);
        names.addAll(g.backward().saved());
        if (!g.backward().knowsShapes()) names.addAll(g.backward().shapeOutputs());
        return names.toArray(new String[0]);
    }

    /** Adds a forward run's outputs to {@code saved}, first learning the shapes of the backward's shape-only inputs. */
    private void keep(Graph g, Map<String, INDArray> outputs, List<Map<String, INDArray>> saved) {
        if (!g.backward().knowsShapes()) {
            g.backward().learnShapes(outputs);
            for (String name : g.backward().shapeOutputs()) release(outputs.remove(name));
        }
        saved.add(outputs);
    }

    /** A zero array of {@code shape}, one per shape and data type, fed for inputs read only for their shape. */
    private INDArray shapeStandIn(DataType dt, long[] shape) {
        return shapeStandIns.computeIfAbsent(dt + java.util.Arrays.toString(shape), k -> Nd4j.create(dt, shape));
    }

    /** Closes {@code a} unless it is null, already closed, or not closeable (a view, or in a workspace). */
    private static void release(INDArray a) {
        if (a != null && !a.wasClosed() && a.closeable()) a.close();
    }

    /**
     * Block {@code layer}'s backward on groups of sequences: adds each LoRA gradient into {@code grads} (summed over
     * the groups) and returns dL/dx (null when not needed). With {@code saved} (one map per group, from
     * {@link #blockForward}) only the backward half runs; without, the block is recomputed from its input.
     */
    private INDArray blockBackward(int layer, INDArray x, INDArray dxOut, List<Map<String, INDArray>> saved,
                                   INDArray positions, Map<String, INDArray> masks, Map<String, INDArray> lora,
                                   int s, int t, int group, boolean needInputGrad, Map<String, INDArray> grads) {
        INDArray dxIn = needInputGrad && group < s ? Nd4j.create(x.dataType(), x.shape()) : null;
        for (int k = 0, first = 0; first < s; k++, first += group) {
            int n = Math.min(group, s - first);
            long from = (long) first * t;
            long to = (long) (first + n) * t;
            Graph g = blockGraph(layer, n, t, true);
            Map<String, INDArray> ph = n == s ? blockPlaceholders(g, x, positions, masks)
                    : groupPlaceholders(g, x, positions, masks, from, to);
            INDArray gradOut = n == s ? dxOut : rowsOf(dxOut, from, to).dup();
            ph.put(GRAD_OUT, gradOut);
            List<String> wanted = new ArrayList<>(g.loraVars());
            if (needInputGrad) wanted.add(X);
            Map<String, INDArray> r = saved == null
                    ? gradients(g, bindLora(g, lora, ph), List.of(), wanted).getGradients()
                    : keptGradients(g, bindLora(g, lora, ph), saved.get(k), wanted);
            for (String v : g.loraVars()) {
                INDArray prev = grads.putIfAbsent(v, r.get(v));
                if (prev != null) {
                    prev.addi(r.get(v));
                    r.get(v).close();
                }
            }
            if (n == s) return needInputGrad ? r.get(X) : null;
            if (needInputGrad) {
                rowsOf(dxIn, from, to).assign(r.get(X));
                r.get(X).close();
            }
            ph.values().forEach(INDArray::close);
        }
        return dxIn;
    }

    /** The backward half of {@code g}, fed the activations its forward run saved: the wanted gradients. */
    private Map<String, INDArray> keptGradients(Graph g, Map<String, INDArray> ph, Map<String, INDArray> saved,
                                                List<String> wanted) {
        SameDiff bw = g.backward().backwardGraph();
        Map<String, INDArray> inputs = bindInputs(g.sd(), ph);
        inputs.keySet().removeIf(name -> !bw.hasVariable(name));
        for (String name : g.backward().saved()) inputs.put(name, saved.get(name));
        for (String name : g.backward().shapeOnly()) inputs.put(name, shapeStandIn(base.dtype(), g.backward().shape(name)));
        return WorkspaceSessions.run(bw, () -> detach(g.backward().gradients(inputs, wanted)));
    }

    /** The block placeholders of rows [from, to) (whole sequences), as fresh arrays the caller closes. */
    private Map<String, INDArray> groupPlaceholders(Graph g, INDArray x, INDArray positions, Map<String, INDArray> masks,
                                                    long from, long to) {
        Map<String, INDArray> groupMasks = new HashMap<>();
        if (dropoutMasks) {
            for (Map.Entry<String, INDArray> e : masks.entrySet()) {
                if (g.sd().hasVariable(e.getKey())) groupMasks.put(e.getKey(), rowsOf(e.getValue(), from, to).dup());
            }
        }
        INDArray pos = positions.get(NDArrayIndex.interval(from, to)).dup();
        return blockPlaceholders(g, rowsOf(x, from, to).dup(), pos, groupMasks);
    }

    private static INDArray rowsOf(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    private static int[] toInts(long[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) o[i] = Math.toIntExact(v[i]);
        return o;
    }

    private Map<String, INDArray> blockPlaceholders(Graph g, INDArray x, INDArray positions, Map<String, INDArray> masks) {
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(X, x);
        ph.put(LogProbGraph.POSITIONS, positions);
        if (dropoutMasks) {
            for (Map.Entry<String, INDArray> e : masks.entrySet()) {
                if (g.sd().hasVariable(e.getKey())) ph.put(e.getKey(), e.getValue());
            }
        }
        return ph;
    }

    private static Map<String, INDArray> bindLora(Graph g, Map<String, INDArray> lora, Map<String, INDArray> ph) {
        for (String v : g.loraVars()) {
            INDArray a = lora.get(v);
            if (a == null) throw new IllegalArgumentException("no array for LoRA variable " + v);
            g.sd().associateArrayWithVariable(a, g.sd().getVariable(v));
        }
        return ph;
    }

    private Graph blockGraph(int layer, int s, int t, boolean train) {
        return graph(List.of("block", layer, s, t, train), () -> buildBlock(layer, s, t, train));
    }

    private Graph graph(List<Object> key, java.util.function.Supplier<Graph> build) {
        Graph g = graphs.get(key);
        if (g == null) {
            g = build.get();
            graphs.put(key, g);
        }
        return g;
    }

    private static SameDiff newGraph() {
        SameDiff sd = SameDiff.create();
        sd.setArrayHolders(new SingleThreadArrayHolder(), new SingleThreadArrayHolder(), false);
        return sd;
    }

    private Graph buildEmbed(int s, int t) {
        SameDiff sd = newGraph();
        long st = (long) s * t;
        SDVariable ids = sd.placeHolder(LogProbGraph.IDS, DataType.INT64, st);
        SDVariable pos = sd.placeHolder(LogProbGraph.POSITIONS, DataType.INT64, st);
        sd.identity(X_OUT, model.embed(ModelGraph.frozen(sd, base), ids, pos));
        return new Graph(sd, List.of());
    }

    private Graph buildBlock(int layer, int s, int t, boolean train) {
        SameDiff sd = newGraph();
        DataType dt = base.dtype();
        long st = (long) s * t;
        SDVariable x = input(sd, X, dt, train, st, model.config().hiddenSize());
        SDVariable pos = sd.placeHolder(LogProbGraph.POSITIONS, DataType.INT64, st);
        List<String> vars = new ArrayList<>();
        ModelGraph g = ModelGraph.withLazyLora(sd, base, path -> {
            LinearModule m = loraModules.get(path);
            if (m == null) return null;
            String a = LoraBindings.varName(path, 'A');
            String b = LoraBindings.varName(path, 'B');
            vars.add(a);
            vars.add(b);
            SDVariable mask = dropoutMasks
                    ? sd.placeHolder(LoraBindings.dropoutMaskName(path), dt, -1, m.in()) : null;
            return new ModelGraph.LoraBinding(sd.var(a, Nd4j.zeros(dt, loraRank, m.in())),
                    sd.var(b, Nd4j.zeros(dt, m.out(), loraRank)), mask);
        }, loraScaling);
        SDVariable out = sd.identity(X_OUT, model.block(g, layer, x, pos, s, t));
        if (train) {
            SDVariable upstream = sd.placeHolder(GRAD_OUT, dt, st, model.config().hiddenSize());
            sd.setLossVariables(out.mul(upstream).sum().rename("block_loss"));
            GradFunctions.ensure(sd);
            if (keepActivations) return new Graph(sd, List.copyOf(vars), BackwardGraph.split(sd, List.of(GRAD_OUT)));
        }
        return new Graph(sd, List.copyOf(vars));
    }

    /**
     * The final norm on {@code rows} hidden rows; the vocabulary half of the head runs outside SameDiff
     * ({@link VocabHead}). For training, the loss is sum(normed * upstream), whose gradient with respect to the
     * input is the chained one for the upstream gradient d logp / d normed.
     */
    private Graph buildFinalNorm(int rows, boolean train) {
        SameDiff sd = newGraph();
        DataType dt = base.dtype();
        ModelGraph g = ModelGraph.frozen(sd, base);
        SDVariable in = input(sd, HEAD_IN, dt, train, rows, model.config().hiddenSize());
        SDVariable normed = sd.identity(HEAD_NORMED, model.finalNorm(g, in));
        if (train) {
            SDVariable upstream = sd.placeHolder(GRAD_OUT, dt, rows, model.config().hiddenSize());
            sd.setLossVariables(normed.mul(upstream).sum().rename("norm_loss"));
            GradFunctions.ensure(sd);
        }
        return new Graph(sd, List.of());
    }

    /**
     * A graph input: a placeholder, or for gradient graphs a variable whose array is associated per call, because
     * SameDiff M2.1 refuses to build a gradient function for a graph without trainable variables and gives no
     * gradient for placeholders.
     */
    public static SDVariable input(SameDiff sd, String name, DataType dt, boolean differentiable, long... shape) {
        return differentiable ? sd.var(name, Nd4j.zeros(dt, shape)) : sd.placeHolder(name, dt, shape);
    }

    /** Binds {@code ph}'s entries that are variables of {@code sd} (see {@link #input}); returns the rest. */
    public static Map<String, INDArray> bindInputs(SameDiff sd, Map<String, INDArray> ph) {
        Map<String, INDArray> rest = new HashMap<>();
        for (Map.Entry<String, INDArray> e : ph.entrySet()) {
            SDVariable v = sd.getVariable(e.getKey());
            if (v != null && v.getVariableType() == org.nd4j.autodiff.samediff.VariableType.VARIABLE) {
                sd.associateArrayWithVariable(e.getValue(), v);
            } else {
                rest.put(e.getKey(), e.getValue());
            }
        }
        return rest;
    }

    private static Map<String, INDArray> output(Graph g, Map<String, INDArray> ph, String... outs) {
        return output(g, null, ph, outs);
    }

    /** Runs {@code g}'s forward; with {@code kept} non-null, the requested outputs are allocated there. */
    private static Map<String, INDArray> output(Graph g, ActivationArena kept, Map<String, INDArray> ph, String... outs) {
        SameDiff sd = g.sd();
        Map<String, INDArray> rest = bindInputs(sd, ph);
        return WorkspaceSessions.run(sd, kept, () -> detach(sd.output(rest, outs)));
    }

    private static OutAndGrad gradients(Graph g, Map<String, INDArray> ph, List<String> outs, List<String> vars) {
        SameDiff sd = g.sd();
        Map<String, INDArray> rest = bindInputs(sd, ph);
        return WorkspaceSessions.run(sd.getFunction("grad"), () -> {
            OutAndGrad og = sd.calculateGradientsAndOutputs(rest, outs, vars);
            return new OutAndGrad(detach(og.getOutputs()), detach(og.getGradients()));
        });
    }

    private static Map<String, INDArray> detach(Map<String, INDArray> m) {
        Map<String, INDArray> o = new HashMap<>();
        if (m != null) m.forEach((k, v) -> o.put(k, v.isAttached() ? v.detach() : v));
        return o;
    }
}
