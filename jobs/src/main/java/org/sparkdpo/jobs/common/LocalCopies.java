package org.sparkdpo.jobs.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * Makes a file or folder given as a Hadoop path ({@code hdfs://}, {@code s3a://}, local) available as a local
 * {@link java.nio.file.Path}, because model code memory-maps files and therefore needs them on local disk.
 * Local paths are returned as they are; anything else is copied once per JVM into a cache folder
 * ({@code -Dsparkdpo.local.cache=DIR}, default {@code java.io.tmpdir/spark-dpo-local}), keyed by the path and a
 * listing signature (names, sizes, modification times) so a changed source gets a fresh copy. The copy is written
 * to a temporary folder and renamed into place, so a copy that exists is complete, also for other JVMs on the host.
 */
public final class LocalCopies {
    /** System property naming the cache folder. */
    public static final String CACHE_PROPERTY = "sparkdpo.local.cache";

    private static final Map<String, java.nio.file.Path> DONE = new ConcurrentHashMap<>();

    private LocalCopies() {}

    /** The local form of {@code hadoopPath}: the path itself when it is on the local file system, else a cached copy. */
    public static java.nio.file.Path localize(String hadoopPath, Configuration conf) throws IOException {
        Path p = new Path(hadoopPath);
        FileSystem fs = p.getFileSystem(conf);
        Path qualified = fs.makeQualified(p);
        if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
            return java.nio.file.Path.of(qualified.toUri());
        }
        return copyToCache(fs, qualified, cacheRoot());
    }

    /**
     * {@link #localize} with this JVM's Hadoop settings: on a Spark driver or executor those of the Spark
     * configuration ({@code spark.hadoop.*} included), elsewhere the default Hadoop configuration.
     */
    public static java.nio.file.Path localizeHere(String hadoopPath) throws IOException {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        Configuration conf = env == null ? new Configuration()
                : org.apache.spark.deploy.SparkHadoopUtil.get().newConfiguration(env.conf());
        return localize(hadoopPath, conf);
    }

    /** The cache folder in use. */
    public static java.nio.file.Path cacheRoot() {
        String dir = System.getProperty(CACHE_PROPERTY);
        return dir != null ? java.nio.file.Path.of(dir)
                : java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "spark-dpo-local");
    }

    /**
     * Copies {@code src} (file or folder, recursively) from {@code fs} under {@code cacheRoot}, at most once per JVM
     * for the same source and listing; returns the local copy. Public so that the copying can be exercised with any
     * file system, the local one included.
     */
    public static java.nio.file.Path copyToCache(FileSystem fs, Path src, java.nio.file.Path cacheRoot) throws IOException {
        String key = cacheKey(fs, src);
        try {
            return DONE.computeIfAbsent(key, k -> {
                try {
                    return copy(fs, src, cacheRoot.resolve(k));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw new IOException("cannot copy " + src + " to local disk under " + cacheRoot + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    private static java.nio.file.Path copy(FileSystem fs, Path src, java.nio.file.Path dest) throws IOException {
        if (Files.exists(dest)) return dest;   // complete: copies appear by rename only
        Files.createDirectories(dest.getParent());
        java.nio.file.Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            copyTree(fs, fs.getFileStatus(src), tmp);
            try {
                Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                // another JVM on this host finished the same copy first; its copy is as good as ours
            }
        } finally {
            deleteTree(tmp);
        }
        if (!Files.exists(dest)) throw new IOException("the copy of " + src + " did not appear at " + dest);
        return dest;
    }

    private static void copyTree(FileSystem fs, FileStatus st, java.nio.file.Path to) throws IOException {
        if (st.isDirectory()) {
            Files.createDirectories(to);
            for (FileStatus child : fs.listStatus(st.getPath())) {
                copyTree(fs, child, to.resolve(child.getPath().getName()));
            }
        } else {
            try (InputStream in = fs.open(st.getPath())) {
                Files.copy(in, to);
            }
        }
    }

    /** Hash of the qualified source and of every file's relative name, length and modification time. */
    static String cacheKey(FileSystem fs, Path src) throws IOException {
        MessageDigest md = Sha256.digest();
        md.update(src.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<String> listing = new ArrayList<>();
        list(fs, fs.getFileStatus(src), "", listing);
        listing.sort(Comparator.naturalOrder());
        for (String line : listing) md.update(("\n" + line).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String name = src.getName().replaceAll("[^A-Za-z0-9._-]", "_");
        return (name.isEmpty() ? "root" : name) + "-" + Sha256.hex(md).substring(0, 16);
    }

    private static void list(FileSystem fs, FileStatus st, String rel, List<String> out) throws IOException {
        if (st.isDirectory()) {
            for (FileStatus c : fs.listStatus(st.getPath())) list(fs, c, rel + "/" + c.getPath().getName(), out);
        } else {
            out.add(rel + "\t" + st.getLen() + "\t" + st.getModificationTime());
        }
    }

    private static void deleteTree(java.nio.file.Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (var s = Files.walk(p)) {
            for (java.nio.file.Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
