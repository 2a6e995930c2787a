package org.sparkdpo.prep.pair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowIdsTest {
    @Test
    void contentIdIgnoresKeyOrderButNotValues() throws Exception {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("prompt", "p");
        a.put("meta", Map.of("z", 1L, "a", List.of("x")));
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("meta", new LinkedHashMap<>(Map.of("a", List.of("x"), "z", 1L)));
        b.put("prompt", "p");
        assertEquals(RowIds.hash(a), RowIds.hash(b));
        String canonical = "{\"meta\":{\"a\":[\"x\"],\"z\":1},\"prompt\":\"p\"}";
        assertEquals(canonical, RowIds.canonical(a));
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
        assertEquals(HexFormat.of().formatHex(sha).substring(0, 32), RowIds.hash(a));
        b.put("prompt", "q");
        assertNotEquals(RowIds.hash(a), RowIds.hash(b));
    }

    @Test
    void givenIdsAreText() throws Rejected {
        assertEquals("a-1", RowIds.given("a-1", "id"));
        assertEquals("42", RowIds.given(42L, "id"));
        assertEquals("123456789012345678901234567890", RowIds.given(new BigInteger("123456789012345678901234567890"), "id"));
        assertNull(RowIds.given(null, "id"));
        assertNull(RowIds.given(" ", "id"));
        assertEquals(RejectReason.WRONG_TYPE, assertThrows(Rejected.class, () -> RowIds.given(1.5, "id")).reason());
        assertEquals(RejectReason.WRONG_TYPE, assertThrows(Rejected.class, () -> RowIds.given(List.of(1), "id")).reason());
    }
}
