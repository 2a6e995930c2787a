package org.sparkdpo.common.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.sparkdpo.data.DatasetManifest;
import org.sparkdpo.data.StableParquet;
import org.sparkdpo.model.dpo.PreferencePair;
import scala.Tuple2;
import scala.reflect.ClassTag$;

/** Records and immutable collections survive Spark's Kryo serializer once {@link SparkSessions} configured it. */
class KryoRegistrationTest {
    private record Nested(String name, List<Integer> ids, Map<String, Long> counts, Set<String> tags, Object nothing,
                          int[] raw, DatasetManifest.Shard shard) {}

    private static SerializerInstance kryo() {
        SparkConf conf = SparkSessions.configure(new SparkConf(false).set("spark.master", "local[1]")
                .set("spark.serializer", SparkSessions.KRYO), "kryo");
        return new KryoSerializer(conf).newInstance();
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(SerializerInstance s, T value) {
        return (T) s.deserialize(s.serialize(value, ClassTag$.MODULE$.Any()), ClassTag$.MODULE$.Any());
    }

    @Test
    void recordsThatCrossTheWireRoundTrip() {
        SerializerInstance s = kryo();
        PreferencePair p = new PreferencePair("id-1", new int[] {1, 2}, new int[] {3}, new int[] {4, 5, 6}, -1.5, -2.25);
        PreferencePair q = roundTrip(s, p);
        assertEquals("id-1", q.id());
        assertArrayEquals(p.promptIds(), q.promptIds());
        assertArrayEquals(p.rejectedIds(), q.rejectedIds());
        assertEquals(-2.25, q.refRejected());
        assertEquals(new DatasetManifest.Shard("part-00000.parquet", 7), roundTrip(s, new DatasetManifest.Shard("part-00000.parquet", 7)));
        assertEquals(new StableParquet.Written(3, "ab"), roundTrip(s, new StableParquet.Written(3, "ab")));
        Tuple2<Long, PreferencePair> t = roundTrip(s, new Tuple2<>(4L, p));
        assertEquals("id-1", t._2().id());
    }

    @Test
    void privateNestedRecordsWithImmutableCollectionsAndNullsRoundTrip() {
        SerializerInstance s = kryo();
        Nested n = new Nested("n", List.of(1, 2, 3), Map.of("a", 1L, "b", 2L), Set.of("x"), null, new int[] {9},
                new DatasetManifest.Shard("f", 1));
        Nested back = roundTrip(s, n);
        assertEquals(n.name(), back.name());
        assertEquals(List.of(1, 2, 3), back.ids());
        assertEquals(Map.of("a", 1L, "b", 2L), back.counts());
        assertEquals(Set.of("x"), back.tags());
        assertNull(back.nothing());
        assertArrayEquals(new int[] {9}, back.raw());
        assertEquals(n.shard(), back.shard());
        assertThrows(UnsupportedOperationException.class, () -> back.ids().add(4), "still unmodifiable");
        List<String> withNull = new ArrayList<>();
        withNull.add(null);
        withNull.add("z");
        assertEquals(withNull, roundTrip(s, withNull.stream().toList()), "Stream.toList keeps nulls");
        assertEquals(List.of("a", "b"), roundTrip(s, roundTrip(s, List.of("a", "b"))), "a copy serializes again");
    }

    @Test
    void plainKryoFailsOnRecordsWhichIsWhyTheRegistratorExists() {
        SerializerInstance plain = new KryoSerializer(new SparkConf(false)).newInstance();
        Exception e = assertThrows(Exception.class, () -> roundTrip(plain, new DatasetManifest.Shard("f", 1)));
        assertTrue(String.valueOf(e.getMessage()).contains("record") || e.getCause() != null, String.valueOf(e));
    }

    @Test
    void registratorsAreAddedOnlyForKryoAndAfterTheUsersOwn() {
        SparkConf java = SparkSessions.configure(new SparkConf(false), "app");
        assertFalse(java.contains("spark.kryo.registrator"));
        SparkConf kryo = SparkSessions.configure(new SparkConf(false).set("spark.serializer", SparkSessions.KRYO)
                .set("spark.kryo.registrator", "com.acme.Registrator"), "app");
        String regs = kryo.get("spark.kryo.registrator");
        assertTrue(regs.startsWith("com.acme.Registrator," + KryoRegistration.class.getName()), regs);
        assertEquals(regs, SparkSessions.configure(kryo, "app").get("spark.kryo.registrator"), "added once");
        // DL4J's registrator is added only where DL4J's Spark module is on the class path (the jobs, not data-prep)
        assertFalse(regs.contains(KryoRegistration.ND4J_REGISTRATOR), regs);
    }
}
