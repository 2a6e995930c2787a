package org.sparkdpo.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The data buffer of a safetensors file as read-only memory mappings. One {@link ByteBuffer} holds at most 2 GiB, so
 * big files get several regions. Regions start at tensor boundaries, and a tensor larger than one region is cut at
 * multiples of 8 bytes, so every piece of every tensor is element-aligned and lies inside one region.
 */
final class MappedRegions {
    /** Largest region: the biggest multiple of 8 a ByteBuffer can address. */
    static final long DEFAULT_MAX_REGION = Integer.MAX_VALUE & ~7L;

    private final long[] starts; // data-relative start of each region, ascending
    private final long[] ends;
    private final ByteBuffer[] regions;

    private MappedRegions(long[] starts, long[] ends, ByteBuffer[] regions) {
        this.starts = starts;
        this.ends = ends;
        this.regions = regions;
    }

    static MappedRegions map(FileChannel ch, long dataStart, Collection<TensorInfo> tensors, long maxRegion)
            throws IOException {
        if (maxRegion < 8 || maxRegion > DEFAULT_MAX_REGION) {
            throw new IllegalArgumentException("maxRegion must be in [8, " + DEFAULT_MAX_REGION + "]: " + maxRegion);
        }
        long chunk = maxRegion & ~7L;
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        List<long[]> plan = new ArrayList<>();
        long s = -1, curEnd = -1;
        for (TensorInfo t : sorted) {
            if (t.begin() == t.end()) continue;
            if (s >= 0 && t.end() - s <= maxRegion) {
                curEnd = t.end();
                continue;
            }
            if (s >= 0) plan.add(new long[] {s, curEnd});
            s = t.begin();
            while (t.end() - s > maxRegion) {
                plan.add(new long[] {s, s + chunk});
                s += chunk;
            }
            curEnd = t.end();
        }
        if (s >= 0 && curEnd > s) plan.add(new long[] {s, curEnd});
        long[] st = new long[plan.size()], en = new long[plan.size()];
        ByteBuffer[] bufs = new ByteBuffer[plan.size()];
        for (int i = 0; i < bufs.length; i++) {
            st[i] = plan.get(i)[0];
            en[i] = plan.get(i)[1];
            bufs[i] = ch.map(FileChannel.MapMode.READ_ONLY, dataStart + st[i], en[i] - st[i]);
        }
        return new MappedRegions(st, en, bufs);
    }

    int regionCount() {
        return regions.length;
    }

    /** The bytes [begin, end) of the data buffer as little-endian read-only slices, one per region crossed. */
    List<ByteBuffer> pieces(long begin, long end) {
        List<ByteBuffer> out = new ArrayList<>();
        if (begin == end) return out;
        int i = Arrays.binarySearch(starts, begin);
        if (i < 0) i = -i - 2;
        long pos = begin;
        while (pos < end) {
            if (i < 0 || i >= regions.length || pos < starts[i] || pos >= ends[i]) {
                throw new IllegalStateException("no mapped region covers data offset " + pos);
            }
            long stop = Math.min(end, ends[i]);
            out.add(regions[i].slice((int) (pos - starts[i]), (int) (stop - pos)).order(ByteOrder.LITTLE_ENDIAN));
            pos = stop;
            i++;
        }
        return out;
    }
}
