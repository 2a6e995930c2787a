package org.sparkdpo.jobs.collect;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Durable file writes: whole files replaced atomically (temp beside, fsync, rename, fsync folder). */
final class Durable {
    private Durable() {}

    /** Replaces {@code target} by {@code bytes} so a reader sees the old file or the new one, never a mix. */
    static void replace(Path target, byte[] bytes) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory(parent);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Forces a folder's entries (a new or renamed file) to the device; a no-op where folders cannot be opened. */
    static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not supported on this platform/file system: the rename itself is still atomic
        }
    }
}
