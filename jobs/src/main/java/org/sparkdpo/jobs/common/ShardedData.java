package org.sparkdpo.jobs.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The Parquet files of a dataset folder. Folders written by {@code prepare} and {@code precompute-ref} keep a
 * {@code manifest.json} beside their shards, which Spark's folder reader would try to read as Parquet, so their
 * shards are taken from the manifest; any other path is returned as it is.
 */
public final class ShardedData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShardedData() {}

    public static String[] parquetFiles(String dir, Configuration conf) throws IOException {
        Path d = new Path(dir);
        FileSystem fs = d.getFileSystem(conf);
        Path manifest = new Path(d, "manifest.json");
        if (!fs.exists(d)) throw new java.io.FileNotFoundException("no such file or folder: " + dir);
        if (!fs.getFileStatus(d).isDirectory() || !fs.exists(manifest)) return new String[]{dir};
        JsonNode n;
        try (InputStream in = fs.open(manifest)) {
            n = JSON.readTree(in);
        }
        List<String> files = new ArrayList<>();
        for (JsonNode s : n.path("shards")) {
            String f = s.path("file").asText("");
            if (f.isEmpty() || f.contains("/") || f.startsWith("_") || f.startsWith(".")) {
                throw new IOException(manifest + ": shard entry '" + f + "' is not a plain file name");
            }
            files.add(new Path(d, f).toString());
        }
        if (files.isEmpty()) throw new IOException(manifest + " lists no shards");
        return files.toArray(String[]::new);
    }
}
