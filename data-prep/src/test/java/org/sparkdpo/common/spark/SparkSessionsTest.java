package org.sparkdpo.common.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SparkSessionsTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    @AfterAll
    static void stop() {
        SparkSessions.stop();
    }

    @Test
    void testSessionIsLocalOnLoopbackWithoutUi() {
        SparkConf conf = spark.sparkContext().getConf();
        assertEquals("local[2]", conf.get("spark.master"));
        assertEquals("127.0.0.1", conf.get("spark.driver.host"));
        assertEquals("127.0.0.1", conf.get("spark.driver.bindAddress"));
        assertEquals("false", conf.get("spark.ui.enabled"));
        assertEquals("4", spark.conf().get("spark.sql.shuffle.partitions"));
        assertEquals(3L, spark.range(3).count());
        assertSame(spark, SparkSessions.getOrCreate("other"), "a running session is reused");
        assertSame(spark, SparkSessions.forTests());
    }

    /** Executors choose their OpenBLAS kernel through the plugin; a user's own plugins come first and stay. */
    @Test
    void everySessionGetsTheNativeEnvironmentPluginOnceAfterTheUsersPlugins() {
        assertEquals(NativeEnvironmentPlugin.class.getName(), spark.sparkContext().getConf().get("spark.plugins"));
        SparkConf user = new SparkConf().set("spark.master", "yarn").set("spark.plugins", "com.acme.Metrics");
        String plugins = SparkSessions.configure(user, "app").get("spark.plugins");
        assertEquals("com.acme.Metrics," + NativeEnvironmentPlugin.class.getName(), plugins);
        assertEquals(plugins, SparkSessions.configure(user, "app").get("spark.plugins"), "added once");
    }

    @Test
    void localDefaultsNeverOverrideExplicitSettings() {
        SparkConf conf = SparkSessions.configure(new SparkConf(false)
                .set("spark.master", "local[3]").set("spark.ui.enabled", "true"), "app");
        assertEquals("app", conf.get("spark.app.name"));
        assertEquals("true", conf.get("spark.ui.enabled"));
        assertEquals("6", conf.get("spark.sql.shuffle.partitions"));
        assertEquals("127.0.0.1", conf.get("spark.driver.host"));

        SparkConf none = SparkSessions.configure(new SparkConf(false), "app");
        assertEquals("local[*]", none.get("spark.master"));

        SparkConf yarn = SparkSessions.configure(new SparkConf(false).set("spark.master", "yarn"), "app");
        assertFalse(yarn.contains("spark.driver.host"));
        assertFalse(yarn.contains("spark.sql.shuffle.partitions"));
    }

    @Test
    void localCoresFromMaster() {
        assertEquals(1, SparkSessions.localCores("local"));
        assertEquals(4, SparkSessions.localCores("local[4]"));
        assertEquals(4, SparkSessions.localCores("local[4,2]"));
        assertEquals(Runtime.getRuntime().availableProcessors(), SparkSessions.localCores("local[*]"));
        assertEquals(6, SparkSessions.localCores("local-cluster[2,3,1024]"));
        assertEquals(0, SparkSessions.localCores("spark://host:7077"));
        assertEquals(0, SparkSessions.localCores("yarn"));
    }
}
