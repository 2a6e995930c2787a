package org.sparkdpo.model.lora;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearLayout;
import org.sparkdpo.model.io.DType;
import org.sparkdpo.model.io.SafeTensorsWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Folds an adapter into the base weights (PEFT's {@code merge_and_unload}) and writes a plain Hugging Face
 * checkpoint, for serving without PEFT: W + scaling * B A for nn.Linear, W + scaling * (B A)^T for Conv1D.
 */
public final class LoraMerge {
    /** Files copied from the base checkpoint folder when present. */
    private static final List<String> SIDE_FILES = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "vocab.json", "merges.txt");

    private LoraMerge() {}

    /** Canonical name to weight, with every adapted module's weight replaced by its merged value. */
    public static Map<String, INDArray> merge(BaseWeights base, LoraAdapter adapter) {
        Map<String, INDArray> out = new LinkedHashMap<>(base.tensors());
        LoraAdapter a = adapter.castTo(base.dtype());
        for (LoraAdapter.Pair p : a.pairs()) {
            INDArray delta = p.b().mmul(p.a()).muli(a.config().scaling());        // [out, in]
            if (p.module().layout() == LinearLayout.CONV1D) delta = delta.transpose();
            out.put(p.module().weightName(), base.get(p.module().weightName()).add(delta));
        }
        return out;
    }

    /** Writes the merged model to {@code outDir} (atomically: a temporary folder renamed into place). */
    public static void save(BaseWeights base, LoraAdapter adapter, Path outDir, DType storeAs) throws IOException {
        Path parent = outDir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.exists(outDir)) throw new IOException("output folder " + outDir + " already exists");
        Path tmp = parent.resolve("." + outDir.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        try {
            SafeTensorsWriter.write(tmp.resolve("model.safetensors"), merge(base, adapter), Map.of("format", "pt"), storeAs);
            for (String f : SIDE_FILES) {
                Path src = base.dir().resolve(f);
                if (Files.isRegularFile(src)) Files.copy(src, tmp.resolve(f));
            }
            Files.move(tmp, outDir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            org.sparkdpo.model.io.PathTrees.deleteTree(tmp);
        }
    }
}
