package org.sparkdpo.common.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Makes a file or folder on any Hadoop path (hdfs://, s3a://, file:) available as a local {@link java.nio.file.Path},
 * for libraries that only read local files (the native tokenizer, safetensors memory maps). Local paths are returned
 * as they are; remote ones are copied once per machine into a cache folder and reused by every task and every JVM
 * there. The cache entry is named by the path and the size and modification time of every copied file, so a changed
 * source gets a fresh copy; copies are made in a temporary folder and renamed into place, so a reader never sees a
 * half-copied entry.
 *
 * <p>Cache folder: system property {@value #CACHE_PROPERTY}, else environment variable {@value #CACHE_ENV}, else
 * {@code java.io.tmpdir/spark-dpo-cache}.
 */
public final class LocalCopies {
    public static final String CACHE_PROPERTY = "sparkdpo.cacheDir";
    public static final String CACHE_ENV = "SPARK_DPO_CACHE_DIR";
    private static final String COMPLETE = ".complete";
    /** Serialises copies within this JVM; the {@value #COMPLETE} marker on disk is what makes a copy reusable. */
    private static final Object COPYING = new Object();

    private LocalCopies() {}

    /** {@link #localize(String, Configuration, Predicate)} copying every file. */
    public static java.nio.file.Path localize(String path, Configuration conf) throws IOException {
        return localize(path, conf, name -> true);
    }

    /**
     * A local path holding the file or folder at {@code path}.
     *
     * @param include for a remote folder, which files to copy, by path relative to the folder ("tokenizer.json",
     *                "sub/x.bin"); e.g. only the tokenizer files of a model folder
     * @throws FileNotFoundException naming the path when it does not exist
     */
    public static java.nio.file.Path localize(String path, Configuration conf, Predicate<String> include) throws IOException {
        Path src = new Path(path);
        FileSystem fs = src.getFileSystem(conf);
        Path qualified = fs.makeQualified(src);
        if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
            java.nio.file.Path local = java.nio.file.Path.of(qualified.toUri());
            if (!Files.exists(local)) throw new FileNotFoundException("no such file or folder: " + path);
            return local;
        }
        FileStatus root;
        try {
            root = fs.getFileStatus(qualified);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException("no such file or folder: " + qualified);
        }
        List<Entry> files = list(fs, root, include);
        String key = key(qualified, root.isDirectory(), files);
        java.nio.file.Path dir = cacheRoot().resolve(key);
        if (Files.exists(dir.resolve(COMPLETE))) return target(dir, root);
        synchronized (COPYING) {
            if (!Files.exists(dir.resolve(COMPLETE))) copy(fs, files, dir);
            return target(dir, root);
        }
    }

    /**
     * {@link #localize(String, Configuration)} with this JVM's Hadoop settings: on a Spark driver or executor those of
     * the Spark configuration ({@code spark.hadoop.*} included), elsewhere the default Hadoop configuration.
     */
    public static java.nio.file.Path localizeHere(String path) throws IOException {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        Configuration conf = env == null ? new Configuration()
                : org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(env.conf());
        return localize(path, conf);
    }

    /** The folder that holds copies (created on demand). */
    public static java.nio.file.Path cacheRoot() {
        String dir = System.getProperty(CACHE_PROPERTY, System.getenv(CACHE_ENV));
        if (dir == null || dir.isBlank()) dir = System.getProperty("java.io.tmpdir") + "/spark-dpo-cache";
        return java.nio.file.Path.of(dir);
    }

    /** A file to copy: its status and its path relative to the copied root. */
    private record Entry(FileStatus status, String relative) {}

    private static java.nio.file.Path target(java.nio.file.Path dir, FileStatus root) {
        return root.isDirectory() ? dir : dir.resolve(root.getPath().getName());
    }

    private static List<Entry> list(FileSystem fs, FileStatus root, Predicate<String> include) throws IOException {
        List<Entry> out = new ArrayList<>();
        if (!root.isDirectory()) {
            out.add(new Entry(root, root.getPath().getName()));
            return out;
        }
        String prefix = root.getPath().toUri().getPath();
        RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(root.getPath(), true);
        while (it.hasNext()) {
            FileStatus s = it.next();
            String rel = s.getPath().toUri().getPath().substring(prefix.length()).replaceFirst("^/+", "");
            if (include.test(rel)) out.add(new Entry(s, rel));
        }
        out.sort(Comparator.comparing(Entry::relative));
        return out;
    }

    private static String key(Path qualified, boolean dir, List<Entry> files) {
        StringBuilder b = new StringBuilder(qualified.toString()).append(dir ? "/\n" : "\n");
        for (Entry e : files) {
            b.append(e.relative()).append('\t').append(e.status().getLen()).append('\t')
                    .append(e.status().getModificationTime()).append('\n');
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return qualified.getName().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copy(FileSystem fs, List<Entry> files, java.nio.file.Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        java.nio.file.Path tmp = dir.resolveSibling(".tmp-" + dir.getFileName() + "-" + UUID.randomUUID());
        try {
            for (Entry e : files) {
                java.nio.file.Path to = tmp.resolve(e.relative());
                Files.createDirectories(to.getParent());
                try (InputStream in = fs.open(e.status().getPath())) {
                    Files.copy(in, to);
                }
            }
            Files.createDirectories(tmp);
            Files.createFile(tmp.resolve(COMPLETE));
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another JVM on this machine finished the same copy first: use theirs
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename " + tmp + " into the cache " + dir, e);
            }
        } finally {
            deleteRecursively(tmp);
        }
        if (!Files.exists(dir.resolve(COMPLETE))) throw new IOException("copy into " + dir + " did not complete");
    }

    private static void deleteRecursively(java.nio.file.Path p) {
        if (!Files.exists(p)) return;
        try (var walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(x -> {
                try {
                    Files.deleteIfExists(x);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover temporary folder is harmless
        }
    }
}
