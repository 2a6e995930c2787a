package org.sparkdpo.common.spark;

import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Paths as users type them, made safe to hand to tasks. Executors run in another working directory (often on
 * another machine), so a relative path or a relative {@code file:} URI means something else there. The driver
 * qualifies every such path once, before any task sees it, the way Spark qualifies its own reader paths: a path
 * without a scheme against the default file system ({@code fs.defaultFS}; in local mode the driver's working
 * directory, on a cluster with HDFS the user's HDFS home), a {@code file:} path against the driver's working
 * directory. Paths with any other scheme ({@code hdfs://}, {@code s3a://}, ...) are returned as typed.
 */
public final class HadoopPaths {
    private static final String FILE = "file:";

    private HadoopPaths() {}

    private static boolean isRelativeFileUri(String path) {
        return path.startsWith(FILE) && !path.startsWith(FILE + "/");
    }

    /** {@code path} qualified as described above; null stays null. */
    public static String qualify(String path, Configuration conf) throws IOException {
        if (path == null) return null;
        if (isRelativeFileUri(path)) {      // file:models/gpt2 (Hadoop's Path cannot hold it as a URI)
            return FileSystem.getLocal(conf).makeQualified(new Path(path.substring(FILE.length()))).toString();
        }
        Path p = new Path(path);
        String scheme = p.toUri().getScheme();
        if (scheme != null && !scheme.equals("file")) return path;
        FileSystem fs = scheme == null ? FileSystem.get(conf) : FileSystem.getLocal(conf);
        return fs.makeQualified(p).toString();
    }

    /** True when {@code path} names a scheme and an absolute path, i.e. means the same on every machine. */
    public static boolean isQualified(String path) {
        if (isRelativeFileUri(path)) return false;
        URI u = new Path(path).toUri();
        return u.getScheme() != null && (u.getAuthority() != null || (u.getPath() != null && u.getPath().startsWith("/")));
    }

    /**
     * Fails unless {@code path} (may be null) is qualified: for settings records that travel to tasks, so an
     * unqualified path is caught on the driver instead of failing on an executor in another directory.
     */
    public static String requireQualified(String path, String what) {
        if (path != null && !isQualified(path)) {
            throw new IllegalArgumentException(what + " must be qualified on the driver before tasks see it, got '"
                    + path + "' (use HadoopPaths.qualify)");
        }
        return path;
    }
}
