package org.sparkdpo.model.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import org.sparkdpo.model.config.InvalidConfigException;
import org.sparkdpo.model.config.JsonFields;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Offline Hugging Face fast tokenizer for one model folder ({@code tokenizer.json} plus optional
 * {@code tokenizer_config.json}, {@code chat_template.jinja}, {@code config.json}), backed by DJL's binding of the
 * Rust {@code tokenizers} library, so ids match Python exactly. Never truncates or pads, whatever tokenizer.json or
 * DJL's defaults say. Chat templates are rendered like transformers' {@code apply_chat_template}.
 *
 * <p>Thread-safe: encode/decode/render may run concurrently from many threads (the Rust tokenizer is immutable);
 * {@link #close()} waits for running calls, and later calls fail with {@link IllegalStateException}.
 * See {@link DjlRuntime} for where DJL puts its native library and how to move it.
 */
public final class HfTokenizer implements AutoCloseable {

    public static final String TOKENIZER_JSON = "tokenizer.json";

    private final Path modelDir;
    private final HuggingFaceTokenizer djl;
    private final TokenizerConfig config;
    private final TokenizerJsonScan scan;
    private final ChatTemplate chatTemplate;
    private final OptionalInt bosId;
    private final OptionalInt eosId;
    private final OptionalInt padId;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private HfTokenizer(Path modelDir, HuggingFaceTokenizer djl, TokenizerConfig config, TokenizerJsonScan scan,
                        OptionalInt bosId, OptionalInt eosId, OptionalInt padId) {
        this.modelDir = modelDir;
        this.djl = djl;
        this.config = config;
        this.scan = scan;
        this.chatTemplate = config.chatTemplate() == null ? null : ChatTemplate.of(config.chatTemplate());
        this.bosId = bosId;
        this.eosId = eosId;
        this.padId = padId;
    }

    /**
     * Loads the tokenizer of {@code modelDir}.
     *
     * @throws NoSuchFileException naming the folder if it or its tokenizer.json is missing
     * @throws InvalidConfigException naming the file if tokenizer.json / tokenizer_config.json / config.json is unusable
     */
    public static HfTokenizer load(Path modelDir) throws IOException {
        Objects.requireNonNull(modelDir, "modelDir");
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "tokenizer folder does not exist");
        }
        Path file = dir.resolve(TOKENIZER_JSON);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no tokenizer.json in tokenizer folder " + dir
                    + " (only fast tokenizers are supported; in Python, AutoTokenizer.from_pretrained(...).save_pretrained(dir) writes one)");
        }
        if (!Files.isReadable(file)) throw new IOException(file + ": tokenizer.json is not readable");
        TokenizerConfig config = TokenizerConfig.load(dir);
        List<String> wanted = new ArrayList<>();
        for (String t : new String[] {config.bosToken(), config.eosToken(), config.padToken(), config.unkToken()}) {
            if (t != null) wanted.add(t);
        }
        TokenizerJsonScan scan = TokenizerJsonScan.scan(file, wanted);

        Map<String, Integer> modelIds = new HashMap<>();
        Path configJson = dir.resolve("config.json");
        if (Files.exists(configJson)) {
            JsonFields json = JsonFields.read(configJson);
            for (String k : new String[] {"bos_token_id", "eos_token_id", "pad_token_id"}) {
                json.intOrFirstOfList(k).ifPresent(id -> modelIds.put(k, id));
            }
        }
        OptionalInt bos = resolve(scan, config.bosToken(), modelIds.get("bos_token_id"));
        OptionalInt eos = resolve(scan, config.eosToken(), modelIds.get("eos_token_id"));
        OptionalInt pad = resolve(scan, config.padToken(), modelIds.get("pad_token_id"));

        DjlRuntime.configure();
        Map<String, String> options = Map.of(
                "addSpecialTokens", "false", // the default of the one-argument encode; encode(text, bool) overrides it
                "truncation", "false",
                "padding", "false");
        HuggingFaceTokenizer djl;
        try {
            djl = HuggingFaceTokenizer.newInstance(file, options);
        } catch (RuntimeException e) {
            throw new InvalidConfigException(file, "the tokenizers library rejected it: " + e.getMessage(), e);
        }
        return new HfTokenizer(dir, djl, config, scan, bos, eos, pad);
    }

    private static OptionalInt resolve(TokenizerJsonScan scan, String token, Integer fallback) {
        if (token != null) {
            Integer id = scan.wantedIds().get(token);
            if (id != null) return OptionalInt.of(id);
        }
        return fallback == null ? OptionalInt.empty() : OptionalInt.of(fallback);
    }

    /** Token ids of {@code text} without the post-processor's special tokens (TRL's add_special_tokens=False). */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * Token ids of {@code text}. Special-token strings in the text (e.g. {@code <|endoftext|>}) always become their
     * ids; {@code addSpecialTokens} only controls the post-processor's additions (e.g. Llama 3's BOS).
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        Objects.requireNonNull(text, "text");
        long[] ids;
        lock.readLock().lock();
        try {
            checkOpen();
            // Ids only, straight from DJL's (public) JNI class: HuggingFaceTokenizer.encode builds a full Encoding
            // (tokens, offsets, masks, overflow) over many JNI calls, which halves throughput.
            long encoding = TokenizersLibrary.LIB.encode(djl.getHandle(), text, addSpecialTokens);
            try {
                ids = TokenizersLibrary.LIB.getTokenIds(encoding);
            } finally {
                TokenizersLibrary.LIB.deleteEncoding(encoding);
            }
        } finally {
            lock.readLock().unlock();
        }
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** Text of {@code ids}, special tokens included (skip_special_tokens=False). */
    public String decode(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= scan.vocabSize()) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i + " is outside the vocabulary [0, "
                        + scan.vocabSize() + ")");
            }
            l[i] = ids[i];
        }
        lock.readLock().lock();
        try {
            checkOpen();
            return djl.decode(l, false);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Number of ids including added tokens: max id + 1 (the embedding matrix may be larger, padded for speed). */
    public int vocabSize() {
        return scan.vocabSize();
    }

    /** Id of {@code eos_token} from tokenizer_config.json, else config.json's eos_token_id (first, if a list). */
    public OptionalInt eosTokenId() {
        return eosId;
    }

    /** Id of {@code bos_token} from tokenizer_config.json, else config.json's bos_token_id. */
    public OptionalInt bosTokenId() {
        return bosId;
    }

    /** Id of {@code pad_token} from tokenizer_config.json, else config.json's pad_token_id. */
    public OptionalInt padTokenId() {
        return padId;
    }

    /** The EOS string from tokenizer_config.json, or null. */
    public String eosToken() {
        return config.eosToken();
    }

    /** The BOS string from tokenizer_config.json, or null. */
    public String bosToken() {
        return config.bosToken();
    }

    /**
     * Id of a piece of text that is one token: an added/special token ({@code "<|eot_id|>"}), or text that encodes to
     * exactly one id ({@code " world"} for GPT-2). Takes text, not byte-level vocab strings such as {@code "Ġworld"}.
     */
    public OptionalInt tokenId(String token) {
        Integer id = scan.addedTokens().get(token);
        if (id == null) id = scan.wantedIds().get(token);
        if (id != null) return OptionalInt.of(id);
        int[] ids = encode(token, false);
        return ids.length == 1 && decode(ids).equals(token) ? OptionalInt.of(ids[0]) : OptionalInt.empty();
    }

    /** Added tokens of tokenizer.json ({@code added_tokens}), content to id. */
    public Map<String, Integer> addedTokens() {
        return scan.addedTokens();
    }

    public TokenizerConfig config() {
        return config;
    }

    /** The folder this tokenizer was loaded from (absolute). */
    public Path modelDir() {
        return modelDir;
    }

    /** Hex SHA-256 of the tokenizer.json bytes: a cache key for tokenized datasets. */
    public String fingerprint() {
        return scan.sha256();
    }

    /** True if the tokenizer has a chat template. */
    public boolean hasChatTemplate() {
        return chatTemplate != null;
    }

    /**
     * Renders a conversation with the tokenizer's chat template, as {@code tokenizer.apply_chat_template(messages,
     * tokenize=False, add_generation_prompt=...)} does. The template sees {@code bos_token}, {@code eos_token},
     * {@code pad_token}, {@code unk_token} (when set).
     *
     * @throws ChatTemplateException if there is no chat template, or it rejects the conversation (its message)
     */
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return renderChat(messages, addGenerationPrompt, Map.of());
    }

    /** As {@link #renderChat(List, boolean)} with extra template variables (e.g. {@code tools}, {@code date_string}). */
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
        if (chatTemplate == null) {
            throw new ChatTemplateException("the tokenizer in " + modelDir + " has no chat template (no chat_template in "
                    + TokenizerConfig.FILE_NAME + ", no " + TokenizerConfig.CHAT_TEMPLATE_FILE + "); use a plain-text prompt"
                    + " format or add a template");
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("bos_token", config.bosToken());
        vars.put("eos_token", config.eosToken());
        vars.put("pad_token", config.padToken());
        vars.put("unk_token", config.unkToken());
        if (extraVariables != null) vars.putAll(extraVariables);
        return chatTemplate.render(messages, addGenerationPrompt, vars);
    }

    /**
     * Ids of the rendered conversation, encoded without post-processor specials: the template already writes BOS if
     * the model wants one, so this never yields a duplicated BOS (TRL encodes the rendered prompt the same way).
     */
    public int[] encodeChatPrompt(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return encode(renderChat(messages, addGenerationPrompt), false);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("tokenizer for " + modelDir + " is closed");
    }

    /** Frees the native tokenizer; waits for running calls. Idempotent. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                djl.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + modelDir + ", vocab=" + scan.vocabSize() + ", sha256=" + scan.sha256().substring(0, 12) + "]";
    }
}
