package org.sparkdpo.model.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.sparkdpo.model.config.InvalidConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One streaming pass over tokenizer.json that DJL does not expose: the SHA-256 of its bytes, the vocabulary size
 * (max id + 1 over {@code model.vocab} and {@code added_tokens}) and the ids of a few named tokens. Streaming keeps
 * memory flat for 10 MB vocabularies (Llama 3, Qwen2).
 */
record TokenizerJsonScan(String sha256, int vocabSize, Map<String, Integer> addedTokens, Set<String> specialAdded,
                         Map<String, Integer> wantedIds) {

    private static final JsonFactory JSON = new JsonFactory();

    /** Scans {@code file}; {@code wanted} are token strings whose ids are looked up in the vocab too. */
    static TokenizerJsonScan scan(Path file, Collection<String> wanted) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Found f = new Found(file, new HashSet<>(wanted));
        try (InputStream raw = Files.newInputStream(file); DigestInputStream in = new DigestInputStream(raw, sha)) {
            try (JsonParser p = JSON.createParser(in)) {
                p.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
                if (p.nextToken() != JsonToken.START_OBJECT) throw bad(file, "expected a JSON object at the top level");
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.getCurrentName();
                    JsonToken t = p.nextToken();
                    if (field.equals("added_tokens") && t == JsonToken.START_ARRAY) f.addedTokens(p);
                    else if (field.equals("model") && t == JsonToken.START_OBJECT) f.model(p);
                    else p.skipChildren();
                }
            } catch (JsonParseException e) {
                throw new InvalidConfigException(file, "not valid JSON: " + e.getOriginalMessage(), e);
            }
            in.transferTo(OutputStream.nullOutputStream()); // trailing bytes count in the fingerprint too
        }
        if (f.maxId < 0) throw bad(file, "no vocabulary found (model.vocab and added_tokens are empty or missing)");
        for (Map.Entry<String, Integer> e : f.added.entrySet()) if (f.want.contains(e.getKey())) f.found.put(e.getKey(), e.getValue());
        return new TokenizerJsonScan(hex(sha.digest()), f.maxId + 1, Map.copyOf(f.added), Set.copyOf(f.special), Map.copyOf(f.found));
    }

    /** What the scan has seen so far. */
    private static final class Found {
        final Path file;
        final Set<String> want;
        final Map<String, Integer> added = new LinkedHashMap<>();
        final Set<String> special = new HashSet<>();
        final Map<String, Integer> found = new HashMap<>();
        int maxId = -1;

        Found(Path file, Set<String> want) {
            this.file = file;
            this.want = want;
        }

        /** The {@code added_tokens} array: [{id, content, special, ...}, ...]. */
        void addedTokens(JsonParser p) throws IOException {
            while (p.nextToken() == JsonToken.START_OBJECT) {
                Integer id = null;
                String content = null;
                boolean isSpecial = false;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.getCurrentName();
                    JsonToken v = p.nextToken();
                    if (k.equals("id") && v == JsonToken.VALUE_NUMBER_INT) id = p.getIntValue();
                    else if (k.equals("content") && v == JsonToken.VALUE_STRING) content = p.getText();
                    else if (k.equals("special")) isSpecial = v == JsonToken.VALUE_TRUE;
                    else p.skipChildren();
                }
                if (id == null || content == null) throw bad(file, "added_tokens entry without id/content");
                added.put(content, id);
                if (isSpecial) special.add(content);
                maxId = Math.max(maxId, id);
            }
        }

        /** The {@code model} object: its {@code vocab} as a map (BPE, WordPiece, WordLevel) or a list (Unigram). */
        void model(JsonParser p) throws IOException {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String k = p.getCurrentName();
                JsonToken v = p.nextToken();
                if (k.equals("vocab") && v == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String tok = p.getCurrentName();
                        p.nextToken();
                        int id = p.getIntValue();
                        maxId = Math.max(maxId, id);
                        if (want.contains(tok)) found.put(tok, id);
                    }
                } else if (k.equals("vocab") && v == JsonToken.START_ARRAY) { // Unigram: [[piece, score], ...]
                    int id = 0;
                    while (p.nextToken() == JsonToken.START_ARRAY) {
                        p.nextToken();
                        String tok = p.getText();
                        if (want.contains(tok)) found.put(tok, id);
                        while (p.nextToken() != JsonToken.END_ARRAY) p.skipChildren();
                        maxId = Math.max(maxId, id++);
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private static InvalidConfigException bad(Path file, String problem) {
        return new InvalidConfigException(file, null, problem);
    }

    static String hex(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        return b.toString();
    }
}
