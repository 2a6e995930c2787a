package org.sparkdpo.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkdpo.common.JobRefusedException;

/**
 * The {@code _manifest.json} beside a dataset's shards, for both kinds of dataset folder: {@code prepared} (written
 * by {@code prepare}) and {@code reference_logps} (written by {@code precompute-ref}). It is how a later stage finds
 * the shards, checks the tokenizer and versions its own output. Only the fields the jobs use are typed; the rest
 * stays in {@link #raw()}.
 *
 * <p>Layout: a dataset folder is a Spark dataset, {@code spark.read.parquet(DIR)} returns exactly its rows: the
 * shards are its only files not starting with {@code _} or {@code .}, which Spark's readers skip; metadata (this
 * manifest, prepare's {@code _rejects/}, precompute-ref's {@code _committed/}) starts with {@code _}. Folders written
 * before this layout have {@code manifest.json} (and {@code rejects/}); they are still read (see {@link #LEGACY_FILE}).
 *
 * @param dir                  the dataset folder (qualified)
 * @param kind                 {@link #PREPARED} or {@link #REFERENCE}
 * @param fingerprint          the writer's fingerprint of the shard contents
 * @param tokenizerFingerprint SHA-256 of the tokenizer.json the rows were tokenized with
 * @param shards               the shard files, in manifest order
 * @param raw                  the whole manifest
 */
public record DatasetManifest(Path dir, String kind, String fingerprint, String tokenizerFingerprint, List<Shard> shards,
                              JsonNode raw) {
    public static final String FILE = "_manifest.json";
    /**
     * The manifest's name in folders written before the {@code _} layout. Jobs still read such folders (a new manifest
     * wins when both exist), but Spark cannot read them as a dataset; {@code mv DIR/manifest.json DIR/_manifest.json}
     * (and, for prepare's output, {@code mv DIR/rejects DIR/_rejects}) upgrades one in place, as does rerunning
     * {@code precompute-ref} on its own output.
     */
    public static final String LEGACY_FILE = "manifest.json";
    /** Kind of a folder written by {@code prepare}. */
    public static final String PREPARED = "prepared";
    /** Kind of a folder written by {@code precompute-ref}. */
    public static final String REFERENCE = "reference_logps";
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One shard listed in the manifest. */
    public record Shard(String file, long rows) implements java.io.Serializable {}

    public long totalRows() {
        return shards.stream().mapToLong(Shard::rows).sum();
    }

    /** The manifest's {@code tokenizer} object as a map, copied into a later stage's manifest. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> tokenizer() {
        return JSON.convertValue(raw.path("tokenizer"), Map.class);
    }

    /**
     * Reads and checks {@code dir/_manifest.json} (or a legacy {@code manifest.json}; its kind must be {@code kind}) and that every listed shard exists;
     * refuses, saying what the folder should have been, when it does not.
     */
    public static DatasetManifest read(String dir, String kind, Configuration conf) throws IOException {
        Path d = new Path(dir);
        FileSystem fs = d.getFileSystem(conf);
        if (!fs.exists(d)) throw new JobRefusedException("input " + dir + " does not exist");
        d = fs.makeQualified(d);
        Path file = find(fs, d);
        if (file == null) {
            throw new JobRefusedException("input " + dir + " has no " + FILE + ": --data must be a folder written by "
                    + "'" + writer(kind) + "' (shards plus their manifest); a manifest-less folder is refused because its "
                    + "tokenizer and contents cannot be checked");
        }
        JsonNode n = parse(fs, file);
        String found = n.path("kind").asText("");
        if (!found.equals(kind)) {
            throw new JobRefusedException(file + ": kind is '" + found + "', expected '" + kind + "' (the output of '"
                    + writer(kind) + "')");
        }
        if (n.path("format_version").asInt(-1) != FORMAT_VERSION) {
            throw new JobRefusedException(file + ": format_version " + n.path("format_version")
                    + " is not supported (this build reads version " + FORMAT_VERSION + ")");
        }
        List<Shard> shards = shards(n, file);
        List<String> missing = new ArrayList<>();
        for (Shard s : shards) if (!fs.exists(new Path(d, s.file()))) missing.add(s.file());
        if (!missing.isEmpty()) {
            throw new JobRefusedException("input " + dir + ": " + missing.size() + " shard(s) listed in " + file.getName()
                    + " are missing, e.g. " + missing.get(0));
        }
        return new DatasetManifest(d, kind, text(n, "fingerprint", file), text(n.path("tokenizer"), "fingerprint", file),
                List.copyOf(shards), n);
    }

    /**
     * The Parquet files of {@code path}: the shards its manifest lists when it is a dataset folder (exactly the
     * dataset's rows, also for folders in the old layout, where Spark's folder reader would try to read
     * {@code manifest.json} as Parquet), otherwise the path itself (a file, a glob, a plain folder).
     */
    public static String[] parquetFiles(String path, Configuration conf) throws IOException {
        Path d = new Path(path);
        FileSystem fs = d.getFileSystem(conf);
        if (!fs.exists(d) && fs.globStatus(d) == null) throw new FileNotFoundException("no such file or folder: " + path);
        Path manifest = fs.exists(d) && fs.getFileStatus(d).isDirectory() ? find(fs, d) : null;
        if (manifest == null) return new String[]{path};
        List<String> files = new ArrayList<>();
        for (Shard s : shards(parse(fs, manifest), manifest)) files.add(new Path(d, s.file()).toString());
        return files.toArray(String[]::new);
    }

    /** The manifest file of folder {@code dir}: {@link #FILE}, else {@link #LEGACY_FILE}, else null. */
    public static Path find(FileSystem fs, Path dir) throws IOException {
        for (String name : new String[] {FILE, LEGACY_FILE}) {
            Path p = new Path(dir, name);
            if (fs.exists(p)) return p;
        }
        return null;
    }

    private static JsonNode parse(FileSystem fs, Path file) throws IOException {
        JsonNode n;
        try (InputStream in = fs.open(file)) {
            n = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new JobRefusedException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new JobRefusedException(file + " must hold a JSON object");
        return n;
    }

    private static List<Shard> shards(JsonNode n, Path file) {
        JsonNode list = n.path("shards");
        if (!list.isArray() || list.isEmpty()) throw new JobRefusedException(file + ": no shards listed");
        List<Shard> shards = new ArrayList<>();
        for (JsonNode s : list) {
            String name = text(s, "file", file);
            if (name.contains("/") || name.startsWith("_") || name.startsWith(".")) {
                throw new JobRefusedException(file + ": shard file name '" + name + "' must be a plain file name");
            }
            shards.add(new Shard(name, s.path("rows").asLong(0)));
        }
        return shards;
    }

    private static String writer(String kind) {
        return kind.equals(PREPARED) ? "prepare" : "precompute-ref";
    }

    private static String text(JsonNode n, String field, Path file) {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new JobRefusedException(file + ": required field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }
}
