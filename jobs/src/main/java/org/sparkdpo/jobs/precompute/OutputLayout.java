package org.sparkdpo.jobs.precompute;

import org.sparkdpo.data.DatasetManifest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * Where things live in the output folder, and the small atomic-file helpers the commit protocol uses:
 * <pre>
 * OUT/part-00000.parquet               a committed shard (same name as its input shard)
 * OUT/_committed/part-00000.parquet.json  its marker, written last: present = shard complete
 * OUT/_tmp/part-00000.parquet-&lt;attempt&gt;  a task attempt's file while it is written
 * OUT/_fingerprint.json                the run's fingerprint, written before any compute (resume checks it)
 * OUT/_manifest.json                   written last by the driver
 * </pre>
 * Everything but the shards starts with {@code _}, so {@code spark.read.parquet(OUT)} reads exactly the shards.
 * Outputs written before that layout have {@code OUT/manifest.json} ({@link #legacyManifest()}).
 */
record OutputLayout(Path root) {
    static final String MANIFEST = DatasetManifest.FILE;
    static final String FINGERPRINT = "_fingerprint.json";
    static final String COMMITTED = "_committed";
    static final String TMP = "_tmp";
    private static final ObjectMapper JSON = new ObjectMapper();

    Path data(String file) {
        return new Path(root, file);
    }

    Path marker(String file) {
        return new Path(new Path(root, COMMITTED), file + ".json");
    }

    Path tmp(String file, String attempt) {
        return new Path(new Path(root, TMP), file + "-" + attempt);
    }

    Path manifest() {
        return new Path(root, MANIFEST);
    }

    /** Where outputs written before the {@code _} layout have their manifest. */
    Path legacyManifest() {
        return new Path(root, DatasetManifest.LEGACY_FILE);
    }

    Path fingerprintFile() {
        return new Path(root, FINGERPRINT);
    }

    Path tmpDir() {
        return new Path(root, TMP);
    }

    /** The JSON in {@code p}, or null when the file does not exist. */
    static JsonNode readJson(FileSystem fs, Path p) throws IOException {
        if (!fs.exists(p)) return null;
        try (InputStream in = fs.open(p)) {
            return JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(p + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * Writes {@code text} to {@code dest} atomically: a hidden temporary file beside it, then a rename. With
     * {@code replace} an existing file is replaced in the same rename (FileContext's overwrite rename); without it an
     * existing file wins and the temporary file is dropped. Returns false when an existing file was kept.
     */
    static boolean writeAtomically(Configuration conf, Path dest, String text, boolean replace) throws IOException {
        FileSystem fs = dest.getFileSystem(conf);
        fs.mkdirs(dest.getParent());
        Path tmp = new Path(dest.getParent(), "." + dest.getName() + ".tmp-" + UUID.randomUUID());
        try (OutputStream out = fs.create(tmp, false)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        try {
            if (replace) {
                FileContext.getFileContext(dest.toUri(), conf).rename(tmp, dest, Options.Rename.OVERWRITE);
                return true;
            }
            if (fs.exists(dest)) return false;
            FileContext.getFileContext(dest.toUri(), conf).rename(tmp, dest, Options.Rename.NONE);
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } finally {
            fs.delete(tmp, false);
            Path crc = new Path(tmp.getParent(), "." + tmp.getName() + ".crc");
            if (fs.exists(crc)) fs.delete(crc, false);
        }
    }
}
