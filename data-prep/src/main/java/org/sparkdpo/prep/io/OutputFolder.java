package org.sparkdpo.prep.io;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkdpo.prep.PrepareException;

/**
 * An output folder that appears complete or not at all: everything is written into a hidden temporary sibling
 * ({@code .NAME.tmp-UUID}), which {@link #commit()} renames to the final name (atomic on HDFS and local disks; on
 * object stores such as S3 a rename is a copy, so a crash mid-commit can leave a partial folder there). With
 * overwrite, the old folder is first moved aside and deleted after the rename.
 */
public final class OutputFolder {
    private final Path out;
    private final Path tmp;
    private final FileSystem fs;
    private final boolean overwrite;

    private OutputFolder(Path out, Path tmp, FileSystem fs, boolean overwrite) {
        this.out = out;
        this.tmp = tmp;
        this.fs = fs;
        this.overwrite = overwrite;
    }

    /**
     * Reserves a temporary folder beside {@code out}.
     *
     * @throws PrepareException when {@code out} exists and {@code overwrite} is false
     */
    public static OutputFolder open(String out, boolean overwrite, Configuration conf) throws IOException {
        Path p = new Path(out);
        FileSystem fs = p.getFileSystem(conf);
        Path q = fs.makeQualified(p);
        if (q.getParent() == null) throw new PrepareException("cannot write to the root folder " + q);
        if (fs.exists(q) && !overwrite) {
            throw new PrepareException("output folder " + out + " already exists; choose another --out or add --overwrite");
        }
        Path tmp = new Path(q.getParent(), "." + q.getName() + ".tmp-" + UUID.randomUUID());
        if (!fs.mkdirs(tmp)) throw new IOException("cannot create " + tmp);
        return new OutputFolder(q, tmp, fs, overwrite);
    }

    /** The final path (qualified). */
    public Path out() {
        return out;
    }

    /** Where to write before {@link #commit()}. */
    public Path tmp() {
        return tmp;
    }

    public FileSystem fs() {
        return fs;
    }

    /** Renames the temporary folder to the final name. */
    public void commit() throws IOException {
        Path old = null;
        if (fs.exists(out)) {
            if (!overwrite) throw new PrepareException("output folder " + out + " appeared while the job ran; not replacing it");
            old = new Path(out.getParent(), "." + out.getName() + ".old-" + UUID.randomUUID());
            if (!fs.rename(out, old)) throw new IOException("cannot move the old output " + out + " aside");
        }
        if (!fs.rename(tmp, out)) {
            if (old != null) fs.rename(old, out);
            throw new IOException("cannot rename " + tmp + " to " + out);
        }
        if (old != null) fs.delete(old, true);
    }

    /** Deletes the temporary folder (after a failure); never throws. */
    public void abort() {
        try {
            fs.delete(tmp, true);
        } catch (IOException | RuntimeException e) {
            // best effort: a hidden leftover temporary folder never looks like an output
        }
    }
}
