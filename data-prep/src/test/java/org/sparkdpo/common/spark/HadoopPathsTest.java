package org.sparkdpo.common.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

/** Paths as users type them are qualified on the driver; remote URIs are left as typed. */
class HadoopPathsTest {
    static final Configuration CONF = new Configuration();
    /** Hadoop's local working directory: this JVM's, as a file: URI without a trailing slash. */
    static final String CWD = "file:" + Path.of("").toAbsolutePath();

    @Test
    void relativeAndFilePathsAreQualifiedAgainstTheDriversWorkingDirectory() throws Exception {
        assertEquals(CWD + "/models/gpt2", HadoopPaths.qualify("models/gpt2", CONF));
        assertEquals(CWD + "/models/gpt2", HadoopPaths.qualify("file:models/gpt2", CONF));
        assertEquals(CWD + "/data/*.jsonl", HadoopPaths.qualify("data/*.jsonl", CONF), "globs survive");
        assertEquals("file:/abs/models/gpt2", HadoopPaths.qualify("/abs/models/gpt2", CONF));
        assertEquals("file:/abs/models/gpt2", HadoopPaths.qualify("file:///abs/models/gpt2", CONF));
        assertEquals("file:/abs/models/gpt2", HadoopPaths.qualify("file:/abs/models/gpt2", CONF));
        assertNull(HadoopPaths.qualify(null, CONF));
    }

    @Test
    void remotePathsStayAsTyped() throws Exception {
        for (String p : new String[] {"hdfs://nn:8020/models/gpt2", "hdfs:///models/gpt2", "s3a://bucket/models/gpt2",
                "gs://bucket/x", "abfss://c@acct.dfs.core.windows.net/x"}) {
            assertEquals(p, HadoopPaths.qualify(p, CONF));
        }
    }

    @Test
    void onlyQualifiedPathsMayTravelToTasks() throws Exception {
        assertTrue(HadoopPaths.isQualified("file:/abs/x"));
        assertTrue(HadoopPaths.isQualified("hdfs://nn/x"));
        assertTrue(HadoopPaths.isQualified("s3a://bucket/x"));
        assertTrue(HadoopPaths.isQualified(HadoopPaths.qualify("rel/x", CONF)));
        assertFalse(HadoopPaths.isQualified("rel/x"));
        assertFalse(HadoopPaths.isQualified("/abs/x"), "no scheme: means another file system on a cluster");
        assertFalse(HadoopPaths.isQualified("file:rel/x"));
        assertNull(HadoopPaths.requireQualified(null, "adapter"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HadoopPaths.requireQualified("models/gpt2", "model folder"));
        assertTrue(e.getMessage().contains("model folder") && e.getMessage().contains("models/gpt2"), e.getMessage());
    }
}
