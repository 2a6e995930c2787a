package org.sparkdpo.jobs.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.io.SafeTensorsWriter;
import org.sparkdpo.model.io.PathTrees;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.lora.LoraAdapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Training checkpoints under {@code <out>/checkpoints/step-NNNNNNNN/}: the adapter (PEFT format) or the full model
 * (Hugging Face folder), the optimiser
 * state ({@code updater_state.safetensors}) and {@code trainer_state.json}. Each is written into a temporary
 * folder that is renamed into place, so a checkpoint folder that exists is complete; a killed run leaves at
 * most a {@code .tmp-} folder, which is ignored and cleaned up.
 */
public final class CheckpointStore {
    /** A loaded checkpoint. */
    public record Loaded(Path dir, TrainerState state, INDArray updaterState) {
        public Path adapterDir() {
            return dir.resolve("adapter");
        }

        /** The full model of a full-parameter run's checkpoint (a Hugging Face folder). */
        public Path modelDir() {
            return dir.resolve("model");
        }
    }

    /** The trained weights of a checkpoint, written into the (temporary) checkpoint folder. */
    @FunctionalInterface
    public interface Weights {
        void writeTo(Path checkpointDir) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "step-";

    private final Path root;
    private final int keep;

    public CheckpointStore(Path outDir, int keep) {
        this.root = outDir.resolve("checkpoints");
        this.keep = keep;
    }

    public Path root() {
        return root;
    }

    public Path save(TrainerState state, LoraAdapter adapter, INDArray updaterState) throws IOException {
        return save(state, dir -> adapter.save(dir.resolve("adapter")), updaterState);
    }

    public Path save(TrainerState state, Weights weights, INDArray updaterState) throws IOException {
        Files.createDirectories(root);
        Path target = root.resolve(String.format("%s%08d", PREFIX, state.step()));
        Path tmp = root.resolve(".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        try {
            weights.writeTo(tmp);
            if (updaterState != null && updaterState.length() > 0) {
                SafeTensorsWriter.write(tmp.resolve("updater_state.safetensors"),
                        Map.of("updater_state", updaterState.reshape(-1)), Map.of("format", "dl4j-updater-view"));
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("step", state.step());
            s.put("epoch", state.epoch());
            s.put("round_in_epoch", state.roundInEpoch());
            s.put("pairs_seen", state.pairsSeen());
            s.put("data_seed", state.dataSeed());
            s.put("lora_seed", state.loraSeed());
            s.put("dropout_seed", state.dropoutSeed());
            Files.writeString(tmp.resolve("trainer_state.json"), PythonJson.write(s) + "\n");
            if (Files.exists(target)) PathTrees.deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            if (Files.exists(tmp)) PathTrees.deleteTree(tmp);
        }
        prune();
        return target;
    }

    /** The newest complete checkpoint, if any; stray temporary folders are removed. */
    public Optional<Loaded> latest() throws IOException {
        if (!Files.isDirectory(root)) return Optional.empty();
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.toList();
        }
        for (Path p : dirs) if (p.getFileName().toString().startsWith(".tmp-")) PathTrees.deleteTree(p);
        Optional<Path> newest = dirs.stream().filter(p -> p.getFileName().toString().startsWith(PREFIX))
                .max(Comparator.comparing(p -> p.getFileName().toString()));
        if (newest.isEmpty()) return Optional.empty();
        return Optional.of(load(newest.get()));
    }

    static Loaded load(Path dir) throws IOException {
        var n = JSON.readTree(dir.resolve("trainer_state.json").toFile());
        TrainerState st = new TrainerState(n.get("step").asInt(), n.get("epoch").asInt(), n.get("round_in_epoch").asInt(),
                n.get("pairs_seen").asLong(), n.get("data_seed").asLong(), n.get("lora_seed").asLong(),
                n.get("dropout_seed").asLong());
        INDArray updater = null;
        Path u = dir.resolve("updater_state.safetensors");
        if (Files.exists(u)) {
            try (SafeTensorsFile f = SafeTensorsFile.open(u)) {
                DataType dt = f.info("updater_state").dtype().nd4jType();
                updater = f.read("updater_state", dt).dup();
            }
        }
        return new Loaded(dir, st, updater);
    }

    private void prune() throws IOException {
        if (keep <= 0) return;
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(p -> p.getFileName().toString().startsWith(PREFIX))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed()).toList();
        }
        for (int i = keep; i < dirs.size(); i++) PathTrees.deleteTree(dirs.get(i));
    }
}
