package org.sparkdpo.model.nn;

import org.nd4j.imports.converters.DifferentialFunctionClassHolder;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BiasAdd;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;

import java.lang.reflect.Field;
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
            Field f = DifferentialFunctionClassHolder.class.getDeclaredField("customOpHashToClass");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<Long, Class<?>> byHash = (Map<Long, Class<?>>) f.get(DifferentialFunctionClassHolder.getInstance());
            put(byHash, new Mmul(), MatMul.class);
            put(byHash, new BiasAdd(), AddBias.class);
            put(byHash, new SoftMax(), Softmax.class);
            // the copy sets each op's properties through the fields ND4J indexed per class: give ours the parent's
            Field ff = DifferentialFunctionClassHolder.class.getDeclaredField("fieldsForFunction");
            ff.setAccessible(true);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Field>> fields = (Map<String, Map<String, Field>>) ff.get(DifferentialFunctionClassHolder.getInstance());
            for (Class<?>[] pair : new Class<?>[][]{{Mmul.class, MatMul.class}, {BiasAdd.class, AddBias.class}, {SoftMax.class, Softmax.class}}) {
                Map<String, Field> parent = fields.get(pair[0].getName());
                if (parent != null) fields.putIfAbsent(pair[1].getName(), parent);
            }
            registered = true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot install gradient overrides into ND4J's op table"
                    + " (an ND4J version other than 1.0.0-M2.1?): " + e, e);
        }
    }

    private static void put(Map<Long, Class<?>> byHash, DynamicCustomOp prototype, Class<?> replacement) {
        byHash.put(prototype.opHash(), replacement);
    }
}
