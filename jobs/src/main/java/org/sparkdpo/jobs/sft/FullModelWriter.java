package org.sparkdpo.jobs.sft;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.io.SafeTensorsWriter;

/**
 * Writes a full-parameter model as a Hugging Face checkpoint folder: {@code model.safetensors} with the trained
 * tensors under their checkpoint names (metadata {@code format: pt}), and every non-weight file of the base model
 * folder (config.json, generation_config.json, tokenizer files, chat template) copied unchanged, so the folder loads
 * in transformers and in this project's model reader like the base did.
 */
public final class FullModelWriter {
    private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".safetensors.index.json", ".bin",
            ".bin.index.json", ".pt", ".pth", ".h5", ".msgpack", ".ckpt");

    private FullModelWriter() {}

    public static Path write(Path dir, Map<String, INDArray> tensors, Path baseDir) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(baseDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (WEIGHT_SUFFIXES.stream().noneMatch(name::endsWith)) {
                    Files.copy(f, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }
}
