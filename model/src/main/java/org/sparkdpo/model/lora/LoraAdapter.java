package org.sparkdpo.model.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.io.SafeTensorsWriter;
import org.sparkdpo.model.io.TensorInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A LoRA adapter: its config and one (A, B) pair per targeted module, in PEFT's on-disk format so adapters move
 * between this system and Python PEFT/transformers unchanged.
 */
public final class LoraAdapter {
    /** The two matrices of one adapted module: A [r, in], B [out, r]. */
    public record Pair(LinearModule module, INDArray a, INDArray b) {}

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    private static final String PREFIX = "base_model.model.";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoraConfig config;
    private final Map<String, Pair> pairs;   // module path -> pair, model order

    public LoraAdapter(LoraConfig config, List<Pair> pairs) {
        this.config = config;
        Map<String, Pair> m = new LinkedHashMap<>();
        for (Pair p : pairs) {
            long[] as = {config.r(), p.module().in()};
            long[] bs = {p.module().out(), config.r()};
            if (!Arrays.equals(p.a().shape(), as) || !Arrays.equals(p.b().shape(), bs)) {
                throw new IllegalArgumentException("LoRA matrices of " + p.module().path() + " have shapes "
                        + Arrays.toString(p.a().shape()) + " and " + Arrays.toString(p.b().shape()) + ", expected "
                        + Arrays.toString(as) + " and " + Arrays.toString(bs));
            }
            m.put(p.module().path(), p);
        }
        this.pairs = Collections.unmodifiableMap(m);
    }

    public LoraConfig config() {
        return config;
    }

    /** Adapted modules in model order. */
    public List<Pair> pairs() {
        return List.copyOf(pairs.values());
    }

    public Pair pair(String modulePath) {
        return pairs.get(modulePath);
    }

    /** Number of trainable values (all A and B entries). */
    public long numParams() {
        return pairs.values().stream().mapToLong(p -> p.a().length() + p.b().length()).sum();
    }

    /** PEFT's key for a module's matrix, e.g. {@code base_model.model.transformer.h.0.attn.c_attn.lora_A.weight}. */
    public static String peftKey(String modulePath, char which) {
        return PREFIX + modulePath + ".lora_" + which + ".weight";
    }

    /**
     * A fresh adapter as PEFT initialises one: A Kaiming-uniform with a = sqrt(5) (uniform in +-1/sqrt(in)),
     * B zero, so the adapted model starts equal to the base model.
     */
    public static LoraAdapter init(LoraConfig config, CausalLm model, long seed, DataType dtype) {
        Random rng = new Random(seed);
        List<Pair> out = new ArrayList<>();
        for (LinearModule m : LoraTargets.resolve(config, model)) {
            double bound = 1.0 / Math.sqrt(m.in());
            double[] a = new double[config.r() * m.in()];
            for (int i = 0; i < a.length; i++) a[i] = (rng.nextDouble() * 2 - 1) * bound;
            INDArray aArr = Nd4j.create(a, new long[]{config.r(), m.in()}, DataType.DOUBLE).castTo(dtype);
            out.add(new Pair(m, aArr, Nd4j.zeros(dtype, m.out(), config.r())));
        }
        return new LoraAdapter(config, out);
    }

    /** The same adapter with every matrix copied into {@code dtype}. */
    public LoraAdapter castTo(DataType dtype) {
        List<Pair> out = new ArrayList<>();
        for (Pair p : pairs.values()) out.add(new Pair(p.module(), p.a().castTo(dtype).dup(), p.b().castTo(dtype).dup()));
        return new LoraAdapter(config, out);
    }

    /** Loads a PEFT adapter folder for {@code model}, validating config, key names and shapes. */
    public static LoraAdapter load(Path dir, CausalLm model, DataType dtype) throws IOException {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(cfgFile)) throw new IOException("no " + CONFIG_FILE + " in adapter folder " + dir);
        if (!Files.isRegularFile(weights)) {
            String hint = Files.exists(dir.resolve("adapter_model.bin"))
                    ? " (only adapter_model.bin, a pickle, is there: re-save it with safe_serialization=True)" : "";
            throw new IOException("no " + WEIGHTS_FILE + " in adapter folder " + dir + hint);
        }
        LoraConfig config = AdapterConfigJson.read(cfgFile, model);
        Map<String, LinearModule> byPath = new LinkedHashMap<>();
        for (LinearModule m : model.linearModules()) byPath.put(m.path(), m);
        Map<String, INDArray[]> found = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(weights)) {
            for (TensorInfo info : f.tensors().values()) {
                String key = info.name();
                char which;
                String path;
                if (key.startsWith(PREFIX) && key.endsWith(".lora_A.weight")) {
                    which = 'A';
                } else if (key.startsWith(PREFIX) && key.endsWith(".lora_B.weight")) {
                    which = 'B';
                } else {
                    throw new IOException(weights + ": tensor '" + key + "' is not a LoRA matrix of the form "
                            + PREFIX + "<module>.lora_A.weight / .lora_B.weight (bias, DoRA or modules_to_save are not supported)");
                }
                path = key.substring(PREFIX.length(), key.length() - ".lora_A.weight".length());
                if (!byPath.containsKey(path)) {
                    throw new IOException(weights + ": tensor '" + key + "' names module '" + path
                            + "', which this " + model.config().modelType() + " model does not have");
                }
                found.computeIfAbsent(path, k -> new INDArray[2])[which == 'A' ? 0 : 1] = f.read(key, dtype);
            }
        }
        List<Pair> pairs = new ArrayList<>();
        for (LinearModule m : model.linearModules()) {
            INDArray[] ab = found.get(m.path());
            if (ab == null) continue;
            if (ab[0] == null || ab[1] == null) {
                throw new IOException(weights + ": module '" + m.path() + "' has only lora_" + (ab[0] == null ? "B" : "A"));
            }
            pairs.add(new Pair(m, ab[0], ab[1]));
        }
        Set<String> expected = new java.util.TreeSet<>();
        for (LinearModule m : LoraTargets.resolve(config, model)) expected.add(m.path());
        if (!expected.equals(new java.util.TreeSet<>(found.keySet()))) {
            throw new IOException(dir + ": the adapter's tensors cover modules " + new java.util.TreeSet<>(found.keySet())
                    + " but its target_modules " + config.targetModules() + " select " + expected);
        }
        try {
            return new LoraAdapter(config, pairs);
        } catch (IllegalArgumentException e) {
            throw new IOException(weights + ": " + e.getMessage() + " (r = " + config.r() + " in " + CONFIG_FILE + ")");
        }
    }

    /** Writes the adapter in PEFT format, atomically (a temporary folder renamed into place). */
    public void save(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + dir.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        try {
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            for (Pair p : pairs.values()) {
                tensors.put(peftKey(p.module().path(), 'A'), p.a());
                tensors.put(peftKey(p.module().path(), 'B'), p.b());
            }
            SafeTensorsWriter.write(tmp.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
            AdapterConfigJson.write(tmp.resolve(CONFIG_FILE), config);
            if (Files.exists(dir)) {
                Path old = parent.resolve("." + dir.getFileName() + ".old-" + UUID.randomUUID());
                Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                org.sparkdpo.model.io.PathTrees.deleteTree(old);
            } else {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            if (Files.exists(tmp)) org.sparkdpo.model.io.PathTrees.deleteTree(tmp);
        }
    }

    /** adapter_config.json in PEFT's shape: sorted keys, indent 2. */
    static final class AdapterConfigJson {
        private AdapterConfigJson() {}

        static LoraConfig read(Path file, CausalLm model) throws IOException {
            JsonNode n;
            try {
                n = JSON.readTree(file.toFile());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (n == null || !n.isObject()) throw new IOException(file + " must hold a JSON object");
            String type = n.path("peft_type").asText("");
            if (!type.equals("LORA")) throw new IOException(file + ": peft_type is '" + type + "', only LORA adapters are supported");
            require(file, !n.path("use_dora").asBoolean(false), "use_dora true (DoRA) is not supported");
            require(file, n.path("bias").asText("none").equals("none"), "bias '" + n.path("bias").asText() + "' is not supported, only \"none\"");
            require(file, n.path("modules_to_save").isNull() || n.path("modules_to_save").isMissingNode()
                    || n.path("modules_to_save").isEmpty(), "modules_to_save is not supported");
            require(file, n.path("rank_pattern").isMissingNode() || n.path("rank_pattern").isNull() || n.path("rank_pattern").isEmpty(),
                    "rank_pattern is not supported");
            require(file, n.path("alpha_pattern").isMissingNode() || n.path("alpha_pattern").isNull() || n.path("alpha_pattern").isEmpty(),
                    "alpha_pattern is not supported");
            require(file, n.path("layers_to_transform").isMissingNode() || n.path("layers_to_transform").isNull(),
                    "layers_to_transform is not supported");
            JsonNode r = n.path("r");
            require(file, r.canConvertToInt() && r.isIntegralNumber(), "r must be an integer");
            JsonNode alpha = n.path("lora_alpha");
            require(file, alpha.isNumber(), "lora_alpha must be a number");
            JsonNode tm = n.path("target_modules");
            List<String> targets = new ArrayList<>();
            if (tm.isTextual()) {
                targets.add(tm.asText());
            } else if (tm.isArray()) {
                for (JsonNode t : tm) {
                    require(file, t.isTextual(), "target_modules must hold strings");
                    targets.add(t.asText());
                }
            } else {
                throw new IOException(file + ": target_modules must be a list of names or a regex string");
            }
            boolean fanInFanOut = n.path("fan_in_fan_out").asBoolean(false);
            try {
                return new LoraConfig(r.asInt(), alpha.asDouble(), n.path("lora_dropout").asDouble(0.0), targets,
                        n.path("use_rslora").asBoolean(false), fanInFanOut, n.path("base_model_name_or_path").asText(null));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage());
            }
        }

        private static void require(Path file, boolean ok, String message) throws IOException {
            if (!ok) throw new IOException(file + ": " + message);
        }

        static void write(Path file, LoraConfig c) throws IOException {
            Map<String, Object> m = new TreeMap<>();
            m.put("alpha_pattern", Map.of());
            m.put("auto_mapping", null);
            m.put("base_model_name_or_path", c.baseModelNameOrPath());
            m.put("bias", "none");
            m.put("fan_in_fan_out", c.fanInFanOut());
            m.put("inference_mode", true);
            m.put("init_lora_weights", true);
            m.put("layers_pattern", null);
            m.put("layers_to_transform", null);
            m.put("lora_alpha", c.loraAlpha() == Math.rint(c.loraAlpha()) ? (Object) (long) c.loraAlpha() : c.loraAlpha());
            m.put("lora_dropout", c.loraDropout());
            m.put("modules_to_save", null);
            m.put("peft_type", "LORA");
            m.put("r", c.r());
            m.put("rank_pattern", Map.of());
            m.put("revision", null);
            m.put("target_modules", c.targetModules().size() == 1 && !c.targetModules().get(0).matches("[A-Za-z0-9_.]+")
                    ? c.targetModules().get(0) : c.targetModules());
            m.put("task_type", "CAUSAL_LM");
            m.put("use_dora", false);
            m.put("use_rslora", c.useRslora());
            Files.writeString(file, org.sparkdpo.model.json.PythonJson.write(m));
        }
    }
}
