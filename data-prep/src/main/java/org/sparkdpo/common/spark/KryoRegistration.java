package org.sparkdpo.common.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Makes what this project sends through Spark's serializer work under {@code KryoSerializer}, which Spark 3.5 ships
 * as Kryo 4: its default FieldSerializer cannot handle Java records ("can't get field offset on a record class"), and
 * it rebuilds collections by calling {@code add}, which the immutable collections of {@code List.of},
 * {@code Stream.toList} and {@code Map.of} refuse. This registrator adds a default serializer for every record
 * (its components in declaration order, read back through the canonical constructor) and one for the JDK's
 * immutable collections. {@link SparkSessions} installs it (and DL4J's {@code Nd4jRegistrator} for INDArrays,
 * when on the class path) whenever {@code spark.serializer} is Kryo.
 */
public final class KryoRegistration implements KryoRegistrator {
    /** DL4J's registrator for INDArrays; DL4J refuses to train under Kryo without an equivalent. */
    public static final String ND4J_REGISTRATOR = "org.nd4j.kryo.Nd4jRegistrator";

    @Override
    public void registerClasses(Kryo kryo) {
        kryo.addDefaultSerializer(Record.class, (k, type) -> new RecordSerializer(type));
        ImmutableCollectionSerializer immutable = new ImmutableCollectionSerializer();
        for (Object sample : List.of(List.of(), List.of(1), List.of(1, 2, 3), Set.of(), Set.of(1), Set.of(1, 2, 3),
                Map.of(), Map.of(1, 1), Map.of(1, 1, 2, 2), java.util.stream.Stream.of(1).toList(),
                Collections.unmodifiableList(new ArrayList<>()), Collections.unmodifiableList(new java.util.LinkedList<>()),
                Collections.unmodifiableSet(new LinkedHashSet<>()), Collections.unmodifiableMap(new LinkedHashMap<>()))) {
            kryo.addDefaultSerializer(sample.getClass(), immutable);
        }
    }

    /** A record: each component with its class (so nulls and subtypes survive), rebuilt by the canonical constructor. */
    static final class RecordSerializer extends Serializer<Object> {
        private final Method[] accessors;
        private final Constructor<?> constructor;

        RecordSerializer(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            accessors = new Method[components.length];
            Class<?>[] types = new Class<?>[components.length];
            for (int i = 0; i < components.length; i++) {
                accessors[i] = components[i].getAccessor();
                accessors[i].setAccessible(true);
                types[i] = components[i].getType();
            }
            try {
                constructor = type.getDeclaredConstructor(types);
                constructor.setAccessible(true);
            } catch (NoSuchMethodException e) {
                throw new KryoException("record " + type.getName() + " has no canonical constructor", e);
            }
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, Object record) {
            try {
                for (Method m : accessors) kryo.writeClassAndObject(output, m.invoke(record));
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new KryoException("cannot read the components of " + record.getClass().getName(), e);
            }
        }

        @Override
        public Object read(Kryo kryo, Input input, Class<Object> type) {
            Object[] values = new Object[accessors.length];
            for (int i = 0; i < values.length; i++) values[i] = kryo.readClassAndObject(input);
            try {
                return constructor.newInstance(values);
            } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
                throw new KryoException("cannot rebuild record " + type.getName(), e);
            }
        }
    }

    /**
     * {@code List.of}/{@code Set.of}/{@code Map.of}/{@code Stream.toList} and {@code Collections.unmodifiable*}
     * values, read back as unmodifiable copies (order kept).
     */
    static final class ImmutableCollectionSerializer extends Serializer<Object> {
        ImmutableCollectionSerializer() {
            setImmutable(true);
        }

        @Override
        public void write(Kryo kryo, Output output, Object value) {
            if (value instanceof Map<?, ?> map) {
                output.writeByte(2);
                output.writeInt(map.size(), true);
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    kryo.writeClassAndObject(output, e.getKey());
                    kryo.writeClassAndObject(output, e.getValue());
                }
                return;
            }
            Collection<?> c = (Collection<?>) value;
            output.writeByte(c instanceof Set ? 1 : 0);
            output.writeInt(c.size(), true);
            for (Object o : c) kryo.writeClassAndObject(output, o);
        }

        @Override
        public Object read(Kryo kryo, Input input, Class<Object> type) {
            int kind = input.readByte();
            int n = input.readInt(true);
            if (kind == 2) {
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) m.put(kryo.readClassAndObject(input), kryo.readClassAndObject(input));
                return Collections.unmodifiableMap(m);
            }
            List<Object> items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) items.add(kryo.readClassAndObject(input));
            return kind == 1 ? Collections.unmodifiableSet(new LinkedHashSet<>(items)) : Collections.unmodifiableList(items);
        }
    }
}
