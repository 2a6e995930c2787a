package org.sparkdpo.model.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.Architectures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.config.ModelConfig;
import org.sparkdpo.model.io.DType;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: shows that {@link ModelStore#load} keeps no copy of the weights on the Java heap. Writes a random
 * ~100M-parameter Llama checkpoint (streamed, so writing needs no heap either), then loads it and prints the peak
 * and retained Java heap next to the ND4J off-heap bytes and the checkpoint size. Run it with a heap smaller than
 * the checkpoint (e.g. -Xmx256m) to make the point: a heap copy could not even fit.
 *
 * <p>usage: {@code LoadMemoryBenchmark [BF16|F32] [FLOAT|DOUBLE] [dir]} (defaults BF16, FLOAT, a temp dir).
 * javacpp caps off-heap memory at -Xmx unless told otherwise: pass {@code -Dorg.bytedeco.javacpp.maxbytes=4g}.
 */
public final class LoadMemoryBenchmark {
    private static final long MB = 1L << 20;

    private LoadMemoryBenchmark() {}

    public static void main(String[] args) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        DType storeAs = DType.valueOf(args.length > 0 ? args[0] : "BF16");
        DataType compute = DataType.valueOf(args.length > 1 ? args[1] : "FLOAT");
        Path dir = args.length > 2 ? Files.createDirectories(Path.of(args[2])) : Files.createTempDirectory("llama-100m-");
        Nd4j.create(1);                                                   // ND4J initialised before measuring

        long params = writeRandomLlama(dir, storeAs);
        long fileBytes = Files.size(dir.resolve("model.safetensors"));

        System.gc();
        long heapBefore = usedHeap();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
        Map<String, Long> procBefore = procStatus();
        AtomicLong sampledPeak = new AtomicLong(heapBefore);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                sampledPeak.accumulateAndGet(usedHeap(), Math::max);
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();
        long t0 = System.nanoTime();
        BaseWeights w = ModelStore.load(dir, compute);
        long millis = (System.nanoTime() - t0) / 1_000_000;
        sampler.interrupt();
        sampler.join();
        long poolPeaks = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) poolPeaks += p.getPeakUsage().getUsed();
        }
        Map<String, Long> procAfter = procStatus();
        long arrayBytes = 0;
        for (var a : w.tensors().values()) arrayBytes += a.data().length() * a.data().getElementSize();
        System.gc();
        long heapRetained = usedHeap();
        long weightBytes = w.numWeights() * compute.width();

        System.out.printf("checkpoint      %s, %,d parameters, %s on disk: %,d MB (%s)%n", dir, params, storeAs, fileBytes / MB,
                w.model().config().modelType());
        System.out.printf("loaded as       %s in %,d ms: %,d weights = %,d MB in the compute dtype%n", compute, millis,
                w.numWeights(), weightBytes / MB);
        System.out.printf("java heap       max %,d MB; used before load %,d MB; peak during load %,d MB (sampled), "
                        + "<= %,d MB (sum of pool peaks, garbage included); retained after load + GC %,d MB%n",
                Runtime.getRuntime().maxMemory() / MB, heapBefore / MB, sampledPeak.get() / MB, poolPeaks / MB, heapRetained / MB);
        System.out.printf("off-heap        ND4J buffers of the loaded weights %,d MB; process anonymous RSS %,d -> %,d MB "
                        + "(+%,d MB: ND4J buffers + heap + natives), file-backed RSS %,d -> %,d MB (mapped checkpoint "
                        + "pages, shared with the page cache), peak RSS (VmHWM) %,d MB%n",
                arrayBytes / MB, procBefore.get("RssAnon") / MB, procAfter.get("RssAnon") / MB,
                (procAfter.get("RssAnon") - procBefore.get("RssAnon")) / MB, procBefore.get("RssFile") / MB,
                procAfter.get("RssFile") / MB, procAfter.get("VmHWM") / MB);
        System.out.printf("peak heap growth / checkpoint size = %.3f; anonymous RSS growth / weights in compute dtype = %.3f%n",
                (double) (Math.max(sampledPeak.get(), poolPeaks) - heapBefore) / fileBytes,
                (double) (procAfter.get("RssAnon") - procBefore.get("RssAnon")) / weightBytes);
        if (args.length <= 2) {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) Files.delete(p);
            }
            Files.delete(dir);
        }
    }

    /**
     * RssAnon, RssFile and VmHWM of this process in bytes, from /proc/self/status (Linux). ND4J allocates array
     * buffers in libnd4j, where neither javacpp's Pointer.totalBytes nor ND4J's AllocationsTracker counts them,
     * so the process's anonymous resident memory is the honest off-heap measure.
     */
    private static Map<String, Long> procStatus() throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            String[] f = line.split("\\s+");
            if (f.length >= 3 && f[2].equals("kB") && (f[0].equals("RssAnon:") || f[0].equals("RssFile:") || f[0].equals("VmHWM:"))) {
                out.put(f[0].substring(0, f[0].length() - 1), Long.parseLong(f[1]) * 1024);
            }
        }
        return out;
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * config.json and model.safetensors of a random Llama: vocab 32000, hidden 768, 12 layers, 12 heads / 4 kv heads,
     * intermediate 2048, tied embeddings (100.1M parameters). Tensors are generated and written in 4 MB chunks.
     */
    static long writeRandomLlama(Path dir, DType storeAs) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ObjectNode cfg = m.createObjectNode();
        cfg.putArray("architectures").add("LlamaForCausalLM");
        cfg.put("model_type", "llama").put("vocab_size", 32000).put("hidden_size", 768).put("intermediate_size", 2048)
                .put("num_hidden_layers", 12).put("num_attention_heads", 12).put("num_key_value_heads", 4)
                .put("max_position_embeddings", 2048).put("rms_norm_eps", 1e-5).put("rope_theta", 500000.0)
                .put("tie_word_embeddings", true).put("hidden_act", "silu").put("torch_dtype", storeAs == DType.BF16 ? "bfloat16" : "float32");
        cfg.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 1024);
        Files.writeString(dir.resolve("config.json"), m.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
        CausalLm model = Architectures.of(ModelConfig.load(dir));

        int width = storeAs.byteSize();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long offset = 0, params = 0;
        for (Map.Entry<String, long[]> e : model.weightShapes().entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            header.put(e.getKey(), Map.of("dtype", storeAs.safetensorsName(), "shape", e.getValue(),
                    "data_offsets", new long[]{offset, offset + n * width}));
            offset += n * width;
            params += n;
        }
        byte[] json = m.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        SplittableRandom rng = new SplittableRandom(42);
        try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            head.flip();
            while (head.hasRemaining()) ch.write(head);
            ByteBuffer chunk = ByteBuffer.allocateDirect(4 << 20).order(ByteOrder.LITTLE_ENDIAN);
            long remaining = offset;
            while (remaining > 0) {
                chunk.clear();
                int n = (int) Math.min(chunk.capacity() / width, remaining / width);
                for (int i = 0; i < n; i++) {
                    float v = (float) ((rng.nextDouble() * 2 - 1) * 0.05);
                    if (width == 2) chunk.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                    else chunk.putFloat(v);
                }
                chunk.flip();
                while (chunk.hasRemaining()) ch.write(chunk);
                remaining -= (long) n * width;
            }
        }
        return params;
    }
}
