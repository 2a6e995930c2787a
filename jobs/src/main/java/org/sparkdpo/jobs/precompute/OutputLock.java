package org.sparkdpo.jobs.precompute;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkdpo.common.JobLockedException;
import org.sparkdpo.common.spark.ExecutorContext;

/**
 * One run per output at a time: a lock file beside the output ({@code <parent>/.<name>.lock}, hidden from Spark's
 * readers) created with create-exclusive semantics on the output's own file system (HDFS {@code create} without
 * overwrite is atomic; on local disks the JDK's {@code CREATE_NEW}). A second run refuses at once
 * ({@link JobLockedException}, exit 4) naming the holder; nothing of the two runs interleaves. The holder touches the
 * file every {@link #HEARTBEAT_MILLIS}; a lock whose holder is a dead process on this host, or whose heartbeat is older
 * than {@code sparkdpo.lock.staleSeconds} (default 600), is taken over, so a killed driver blocks nobody for long.
 */
final class OutputLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
    static final long HEARTBEAT_MILLIS = 30_000;

    private final FileSystem fs;
    private final Path file;
    private final ScheduledExecutorService heartbeat;

    private OutputLock(FileSystem fs, Path file) {
        this.fs = fs;
        this.file = file;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spark-dpo-lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleAtFixedRate(this::touch, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The lock file of the qualified output folder {@code out}. */
    static Path lockFile(Path out) {
        return new Path(out.getParent(), "." + out.getName() + ".lock");
    }

    /** Takes the lock of {@code out} or throws {@link JobLockedException}. */
    static OutputLock acquire(Path out, Configuration conf) throws IOException {
        Path file = lockFile(out);
        FileSystem fs = file.getFileSystem(conf);
        fs.mkdirs(file.getParent());
        String me = ExecutorContext.jvmName() + " since " + Instant.now() + ": precompute-ref --out " + out;
        for (int tries = 0; ; tries++) {
            if (createExclusive(fs, file, me)) return new OutputLock(fs, file);
            String holder = read(fs, file);
            if (tries == 0 && stale(fs, file, holder)) {
                LOG.warn("precompute-ref: taking over the stale lock {} ({})", file, holder);
                fs.delete(file, false);
                continue;
            }
            throw new JobLockedException("another precompute-ref run holds the lock of " + out + " (" + file + ": "
                    + holder + "); try again when it has finished, or delete the lock file if no run is active");
        }
    }

    private static boolean createExclusive(FileSystem fs, Path file, String content) throws IOException {
        if ("file".equals(fs.getUri().getScheme())) {
            java.nio.file.Path p = java.nio.file.Paths.get(file.toUri());
            try {
                java.nio.file.Files.writeString(p, content + "\n", java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        }
        try (OutputStream os = fs.create(file, false)) {
            os.write((content + "\n").getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            if (fs.exists(file)) return false;    // some stores report the race as a generic I/O error
            throw e;
        }
    }

    /** A holder on this host whose process is gone, or a heartbeat older than the stale limit. */
    private static boolean stale(FileSystem fs, Path file, String holder) throws IOException {
        String me = ExecutorContext.jvmName();
        String myHost = me.substring(me.indexOf('@') + 1);
        int at = holder.indexOf('@');
        int sp = holder.indexOf(' ');
        if (at > 0 && sp > at && holder.substring(at + 1, sp).equals(myHost)) {
            try {
                long pid = Long.parseLong(holder.substring(0, at));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) return false;
                return true;
            } catch (NumberFormatException ignored) {
                // fall through to the heartbeat
            }
        }
        FileStatus st;
        try {
            st = fs.getFileStatus(file);
        } catch (java.io.FileNotFoundException e) {
            return true;
        }
        long limit = Long.getLong("sparkdpo.lock.staleSeconds", 600) * 1000;
        return System.currentTimeMillis() - st.getModificationTime() > limit;
    }

    private static String read(FileSystem fs, Path file) {
        try (var in = fs.open(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "holder unknown";
        }
    }

    private void touch() {
        try {
            fs.setTimes(file, System.currentTimeMillis(), -1);
        } catch (IOException e) {
            LOG.warn("precompute-ref: cannot refresh the lock {}: {}", file, e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        heartbeat.shutdownNow();
        fs.delete(file, false);
    }
}
