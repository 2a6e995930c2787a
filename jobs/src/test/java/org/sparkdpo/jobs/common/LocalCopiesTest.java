package org.sparkdpo.jobs.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCopiesTest {
    @TempDir
    Path tmp;

    @Test
    void localPathsAreUsedInPlace() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("model"));
        assertEquals(dir, LocalCopies.localize(dir.toString(), new Configuration()));
        assertEquals(dir, LocalCopies.localize("file://" + dir, new Configuration()));
    }

    @Test
    void copiesOnceAtomicallyAndAgainWhenTheSourceChanges() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/model"));
        Files.writeString(src.resolve("config.json"), "{}");
        Files.createDirectories(src.resolve("sub"));
        Files.write(src.resolve("sub/w.bin"), new byte[] {1, 2, 3});
        FileSystem fs = FileSystem.getLocal(new Configuration());
        Path cache = tmp.resolve("cache");
        org.apache.hadoop.fs.Path hsrc = new org.apache.hadoop.fs.Path(src.toUri());

        Path first = LocalCopies.copyToCache(fs, hsrc, cache);
        assertTrue(first.startsWith(cache));
        assertEquals("{}", Files.readString(first.resolve("config.json")));
        assertEquals(3, Files.size(first.resolve("sub/w.bin")));
        long mtime = Files.getLastModifiedTime(first.resolve("config.json")).toMillis();
        assertEquals(first, LocalCopies.copyToCache(fs, hsrc, cache));
        assertEquals(mtime, Files.getLastModifiedTime(first.resolve("config.json")).toMillis(), "not copied twice");
        try (var s = Files.list(cache)) {
            assertEquals(1, s.count(), "no temporary folder left behind");
        }

        Files.writeString(src.resolve("config.json"), "{\"changed\": true}");
        Path second = LocalCopies.copyToCache(fs, hsrc, cache);
        assertNotEquals(first, second);
        assertEquals("{\"changed\": true}", Files.readString(second.resolve("config.json")));
    }
}
