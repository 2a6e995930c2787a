package org.sparkdpo.common.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remote folders are copied once into the cache; local ones are used in place. "Remote" here is Hadoop's viewfs
 * mounted over a temporary folder: a real non-local Hadoop file system, without a cluster.
 */
class LocalCopiesTest {
    @TempDir
    Path tmp;
    Configuration conf;

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty(LocalCopies.CACHE_PROPERTY, tmp.resolve("cache").toString());
        conf = new Configuration();
        conf.set("fs.viewfs.mounttable.test.link./models", tmp.resolve("remote").toUri().toString());
        conf.setBoolean("fs.viewfs.impl.disable.cache", true);   // each test mounts its own folder
        Path model = Files.createDirectories(tmp.resolve("remote/m1/sub"));
        Files.writeString(model.getParent().resolve("tokenizer.json"), "{\"v\": 1}");
        Files.writeString(model.getParent().resolve("model.safetensors"), "weights");
        Files.writeString(model.resolve("extra.txt"), "x");
    }

    @AfterEach
    void tearDown() {
        System.clearProperty(LocalCopies.CACHE_PROPERTY);
    }

    @Test
    void remoteFoldersAreCopiedOnceWithTheChosenFiles() throws Exception {
        Path a = LocalCopies.localize("viewfs://test/models/m1", conf, name -> !name.endsWith(".safetensors"));
        assertTrue(a.startsWith(tmp.resolve("cache")), a.toString());
        assertEquals("{\"v\": 1}", Files.readString(a.resolve("tokenizer.json")));
        assertEquals("x", Files.readString(a.resolve("sub/extra.txt")));
        assertFalse(Files.exists(a.resolve("model.safetensors")));
        assertEquals(a, LocalCopies.localize("viewfs://test/models/m1", conf, name -> !name.endsWith(".safetensors")));
        try (var s = Files.list(tmp.resolve("cache"))) {
            assertEquals(1, s.count(), "one cache entry, no temporary folders left");
        }
        // a changed source gets a fresh copy
        Files.writeString(tmp.resolve("remote/m1/tokenizer.json"), "{\"v\": 22}");
        Path b = LocalCopies.localize("viewfs://test/models/m1", conf, name -> !name.endsWith(".safetensors"));
        assertNotEquals(a, b);
        assertEquals("{\"v\": 22}", Files.readString(b.resolve("tokenizer.json")));
        // a single file
        Path f = LocalCopies.localize("viewfs://test/models/m1/sub/extra.txt", conf);
        assertEquals("x", Files.readString(f));
    }

    @Test
    void localPathsAreUsedInPlaceAndMissingOnesAreNamed() throws Exception {
        Path model = tmp.resolve("remote/m1");
        assertEquals(model, LocalCopies.localize(model.toString(), conf));
        assertEquals(model, LocalCopies.localize(model.toUri().toString(), conf));
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> LocalCopies.localize("viewfs://test/models/none", conf));
        assertTrue(e.getMessage().contains("models/none"), e.getMessage());
        assertThrows(FileNotFoundException.class, () -> LocalCopies.localize(tmp.resolve("none").toString(), conf));
    }
}
