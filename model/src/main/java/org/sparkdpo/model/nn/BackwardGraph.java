package org.sparkdpo.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.autodiff.samediff.internal.Variable;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backward half of a graph's gradient function, so that a training step runs each forward op once.
 *
 * <p>SameDiff M2.1 has no forward/backward split: {@code calculateGradients} executes the gradient function,
 * which re-runs every forward op before the backward ops, and a session cannot be handed intermediate values.
 * So a step that first runs the forward (to reach the loss) and later the gradient pays the forward twice. This
 * class rewrites the gradient function once, when a graph is built: the forward ops are removed and every
 * forward array a backward op reads (the "saved tensors" of other frameworks) becomes a placeholder. The forward
 * run then asks the original graph for those arrays next to its output, and the backward run feeds them back.
 * What is kept between the two is exactly what the backward needs, the live set PyTorch keeps.
 *
 * <p>Arrays that backward ops read only for their shape are not kept: the backward run is fed any array of that
 * shape ({@link #shapeOnly}).
 *
 * <p>The forward phase is every op that does not depend on the {@code seed} placeholders (the upstream gradient
 * that a block's loss sum(out * g) multiplies by): those ops cannot run before the gradient is known, so they stay
 * in the backward half.
 */
public final class BackwardGraph {
    /** Backward ops that read their first two inputs for their shapes only (broadcast sums of the gradient). */
    private static final Set<String> SHAPE_ONLY_OPS = Set.of("add_bp", "subtract_bp");

    private final SameDiff graph;
    private final SameDiff backward;
    private final List<String> saved;
    private final List<String> shapeOnly;
    private final Map<String, String> shapeVars;
    private final Map<String, long[]> shapes = new java.util.HashMap<>();

    private BackwardGraph(SameDiff graph, SameDiff backward, List<String> saved, List<String> shapeOnly,
                          Map<String, String> shapeVars) {
        this.graph = graph;
        this.backward = backward;
        this.saved = saved;
        this.shapeOnly = shapeOnly;
        this.shapeVars = shapeVars;
    }

    /**
     * Splits {@code sd}'s gradient function (built here if absent). {@code sd} keeps its ops, for forward runs,
     * plus a {@code shape_of} op per {@link #shapeOnly} array; its gradient function can no longer be used through
     * {@code calculateGradients}.
     *
     * @param seeds placeholders the forward phase must not depend on
     */
    public static BackwardGraph split(SameDiff sd, Collection<String> seeds) {
        GradFunctions.ensure(sd);
        SameDiff grad = sd.getFunction("grad");
        Set<String> forwardOps = forwardOps(sd, seeds);

        Set<String> saved = new LinkedHashSet<>();
        Set<String> readForValues = new HashSet<>();
        for (SameDiffOp op : grad.getOps().values()) {
            if (forwardOps.contains(op.getName()) || op.getInputsToOp() == null) continue;
            boolean shapeOp = SHAPE_ONLY_OPS.contains(op.getOp().opName());
            List<String> ins = op.getInputsToOp();
            for (int i = 0; i < ins.size(); i++) {
                String in = ins.get(i);
                Variable v = grad.getVariables().get(in);
                if (v.getVariable().getVariableType() == VariableType.ARRAY && forwardOps.contains(v.getOutputOfOp())) {
                    saved.add(in);
                    if (!shapeOp || i > 1) readForValues.add(in);
                }
            }
        }

        Set<String> produced = new HashSet<>();
        for (String name : forwardOps) {
            SameDiffOp op = grad.getOps().remove(name);
            if (op != null && op.getOutputsOfOp() != null) produced.addAll(op.getOutputsOfOp());
        }
        for (String name : produced) {
            if (saved.contains(name)) {
                Variable v = grad.getVariables().get(name);
                v.setOutputOfOp(null);
                v.getVariable().setVariableType(VariableType.PLACEHOLDER);
            } else {
                grad.getVariables().remove(name);
            }
        }
        for (Variable v : grad.getVariables().values()) {
            if (v.getInputsForOp() != null) v.getInputsForOp().removeIf(forwardOps::contains);
            if (v.getControlDepsForOp() != null) v.getControlDepsForOp().removeIf(forwardOps::contains);
        }
        List<String> values = saved.stream().filter(readForValues::contains).toList();
        List<String> shapeOnly = saved.stream().filter(n -> !readForValues.contains(n)).toList();
        Map<String, String> shapeVars = new java.util.LinkedHashMap<>();
        for (String n : shapeOnly) shapeVars.put(n, sd.getVariable(n).shape().name());
        return new BackwardGraph(sd, grad, values, shapeOnly, shapeVars);
    }

    /** Ops of {@code sd} that do not depend, directly or through other ops, on any of {@code seeds}. */
    private static Set<String> forwardOps(SameDiff sd, Collection<String> seeds) {
        Set<String> tainted = new HashSet<>();
        Deque<String> vars = new ArrayDeque<>(seeds);
        Set<String> seenVars = new HashSet<>(seeds);
        while (!vars.isEmpty()) {
            Variable v = sd.getVariables().get(vars.poll());
            if (v == null || v.getInputsForOp() == null) continue;
            for (String opName : v.getInputsForOp()) {
                if (!tainted.add(opName)) continue;
                List<String> outs = sd.getOps().get(opName).getOutputsOfOp();
                if (outs != null) for (String o : outs) if (seenVars.add(o)) vars.add(o);
            }
        }
        Set<String> forward = new LinkedHashSet<>(sd.getOps().keySet());
        forward.removeAll(tainted);
        return forward;
    }

    /** Forward arrays whose values the backward half reads, in a fixed order: ask the forward run for these. */
    public List<String> saved() {
        return saved;
    }

    /**
     * Forward arrays the backward half reads for their shape only ({@code add_bp} and {@code subtract_bp} take
     * both operands but use only their shapes): any array of that shape can be fed, so they need not be kept.
     * Their shapes are learnt from one forward run that also returns {@link #shapeOutputs}.
     */
    public List<String> shapeOnly() {
        return shapeOnly;
    }

    /** Whether the shapes of {@link #shapeOnly} are known. */
    public boolean knowsShapes() {
        return shapes.size() == shapeOnly.size();
    }

    /** Outputs of the forward graph (added by {@link #split}) that hold the shapes of the {@link #shapeOnly} arrays. */
    public java.util.Collection<String> shapeOutputs() {
        return shapeVars.values();
    }

    /** Records the shapes of the {@link #shapeOnly} arrays from a forward run that returned {@link #shapeOutputs}. */
    public void learnShapes(Map<String, INDArray> forwardOutputs) {
        for (String n : shapeOnly) shapes.put(n, forwardOutputs.get(shapeVars.get(n)).toLongVector());
    }

    /** The shape of a {@link #shapeOnly} array (after {@link #learnShapes}). */
    public long[] shape(String name) {
        return shapes.get(name);
    }

    /** The name of {@code variable}'s gradient in the backward half, or null when the loss does not depend on it. */
    public String gradientName(String variable) {
        SDVariable g = graph.getVariable(variable).getGradient();
        return g == null ? null : g.name();
    }

    /**
     * Runs the backward half.
     *
     * @param inputs the saved arrays plus the placeholders the backward ops read (variables are bound on the
     *               original graph, which forwards them here)
     * @param wanted variables whose gradients to return, keyed by variable name
     */
    public Map<String, INDArray> gradients(Map<String, INDArray> inputs, List<String> wanted) {
        List<String> names = new ArrayList<>();
        for (String w : wanted) names.add(gradientName(w));
        Map<String, INDArray> byGradName = backward.output(inputs, names.toArray(new String[0]));
        Map<String, INDArray> out = new java.util.HashMap<>();
        for (int i = 0; i < wanted.size(); i++) out.put(wanted.get(i), byGradName.get(names.get(i)));
        return out;
    }

    /** The rewritten gradient function, for running {@link #gradients} inside a workspace. */
    public SameDiff backwardGraph() {
        return backward;
    }
}
