package org.sparkdpo.model.nn;

import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BiasAdd;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;

/**
 * Installs this project's backward passes into ND4J's op table so that SameDiff's gradient functions use them:
 * {@link MatMul} for every {@code matmul}, {@link AddBias} for every {@code biasadd} and {@link Softmax} for every
 * {@code softmax}.
 *
 * <p>Why a table: SameDiff builds a gradient function on a copy of the graph whose ops are re-created from their
 * serialized form by libnd4j op hash, so the only place to change an op's backward is the class that hash maps
 * to; ND4J M2.1 has no public hook for it, so {@link #register()} replaces the entry by reflection. Elementwise
 * {@code add}/{@code multiply} with a constant would gain from the same (their {@code _bp} ops reduce a gradient
 * for the constant too), but the copy carries no static shapes to tell a full-shape operand from a broadcast one.
 */
public final class GradOverrides {
    private static volatile boolean registered;

    private GradOverrides() {}

    /** Installs {@link MatMul}, {@link AddBias} and {@link Softmax} for their ops' hashes; idempotent, thread-safe. */
    public static synchronized void register() {
        if (registered) return;
        try {
            Map<Long, Class<?>> byHash = holderMap("customOpHashToClass");
            // the copy also sets each op's properties through the fields ND4J indexed per class: ours get the parent's
            Map<String, Map<String, Field>> fields = holderMap("fieldsForFunction");
            for (Map.Entry<DynamicCustomOp, Class<?>> o : List.<Map.Entry<DynamicCustomOp, Class<?>>>of(
                    Map.entry(new Mmul(), MatMul.class), Map.entry(new BiasAdd(), AddBias.class),
                    Map.entry(new SoftMax(), Softmax.class))) {
                DynamicCustomOp parent = o.getKey();
                Class<?> ours = o.getValue();
                byHash.put(parent.opHash(), ours);
                Map<String, Field> parentFields = fields.get(parent.getClass().getName());
                if (parentFields != null) fields.putIfAbsent(ours.getName(), parentFields);
            }
            registered = true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot install gradient overrides into ND4J's op table"
                    + " (an ND4J version other than 1.0.0-M2.1?): " + e, e);
        }
    }

    /** A private map of ND4J's op registry, by field name. */
    @SuppressWarnings("unchecked")
    private static <M> M holderMap(String field) throws ReflectiveOperationException {
        Field f = DifferentialFunctionClassHolder.class.getDeclaredField(field);
        f.setAccessible(true);
        return (M) f.get(DifferentialFunctionClassHolder.getInstance());
    }
}
