package org.sparkdpo.jobs.common;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Hex SHA-256 of strings and streams, the one hash used for every fingerprint the jobs write. */
public final class Sha256 {
    private Sha256() {}

    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String of(String text) {
        return HexFormat.of().formatHex(digest().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Feeds the whole stream into {@code md} (the caller closes the stream). */
    public static void update(MessageDigest md, InputStream in) throws IOException {
        byte[] buf = new byte[1 << 20];
        for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
    }

    public static String hex(MessageDigest md) {
        return HexFormat.of().formatHex(md.digest());
    }
}
