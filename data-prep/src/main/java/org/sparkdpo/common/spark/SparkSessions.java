package org.sparkdpo.common.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.model.exec.NativeEnvironment;
import scala.Option;

/**
 * The one place sessions are created, so every job gets the same settings. A master set by spark-submit (or
 * {@code -Dspark.master}, as {@code submit/local.sh} does) is honoured; without one, {@code local[*]}. In local
 * modes the driver binds to 127.0.0.1 (this machine's hostname resolves to a non-loopback address), the UI is
 * off unless {@code spark.ui.enabled} is set, and shuffles use 2 partitions per core instead of 200. Settings
 * already present (spark-submit {@code --conf}, {@code -Dspark.*}) always win.
 *
 * <p>With {@code spark.serializer=org.apache.spark.serializer.KryoSerializer} (a common cluster default), the
 * project's {@link KryoRegistration} and DL4J's {@code Nd4jRegistrator} (when on the class path) are added to
 * {@code spark.kryo.registrator}, after any registrators already listed there.
 *
 * <p>Every session gets {@link NativeEnvironmentPlugin} in {@code spark.plugins} (after the user's own), and the
 * driver sets its native environment ({@link NativeEnvironment#apply()}: OpenBLAS's kernel, OpenMP's wait policy)
 * before the session starts.
 */
public final class SparkSessions {
    public static final String LOOPBACK = "127.0.0.1";
    /** The {@code spark.serializer} value that selects Kryo. */
    public static final String KRYO = "org.apache.spark.serializer.KryoSerializer";
    private static final String KRYO_REGISTRATOR = "spark.kryo.registrator";
    private static final String PLUGINS = "spark.plugins";
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?])?");
    private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),\\s*(\\d+),\\s*\\d+]");

    private SparkSessions() {}

    /** The running session if there is one, else a new one configured as described above. */
    public static SparkSession getOrCreate(String appName) {
        SparkSession running = running();
        if (running != null) return running;
        NativeEnvironment.apply();
        SparkConf conf = configure(new SparkConf(), appName);
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        LogLevels.apply();
        return session;
    }

    /**
     * A {@code local[2]} session with the local settings and the UTC time zone, shared by all test classes of a JVM:
     * call it from {@code @BeforeAll}; stopping is optional (the JVM's shutdown stops it), and a later call after
     * {@link #stop()} starts a fresh one.
     */
    public static synchronized SparkSession forTests() {
        SparkSession running = running();
        if (running != null) return running;
        NativeEnvironment.apply();
        SparkConf conf = new SparkConf().set("spark.master", "local[2]").set("spark.sql.session.timeZone", "UTC");
        SparkSession session = SparkSession.builder().config(configure(conf, "spark-dpo-tests")).getOrCreate();
        LogLevels.apply();
        return session;
    }

    /** Stops the running session, if any. */
    public static synchronized void stop() {
        SparkSession running = running();
        if (running != null) running.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /**
     * Fills in the master, the Kryo registrators when Kryo is the serializer and, for local masters, the local
     * settings; keeps whatever {@code conf} already has.
     */
    public static SparkConf configure(SparkConf conf, String appName) {
        conf.setIfMissing("spark.master", "local[*]");
        if (KRYO.equals(conf.get("spark.serializer", "").trim())) addKryoRegistrators(conf);
        appendOnce(conf, PLUGINS, NativeEnvironmentPlugin.class.getName());
        conf.setIfMissing("spark.app.name", appName);
        String master = conf.get("spark.master");
        int cores = localCores(master);
        if (cores > 0) {
            conf.setIfMissing("spark.driver.host", LOOPBACK);
            conf.setIfMissing("spark.driver.bindAddress", LOOPBACK);
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.sql.shuffle.partitions", Integer.toString(Math.max(2, 2 * cores)));
        }
        return conf;
    }

    /** Appends this project's and ND4J's Kryo registrators to {@code spark.kryo.registrator}, each once. */
    static void addKryoRegistrators(SparkConf conf) {
        List<String> ours = new ArrayList<>(List.of(KryoRegistration.class.getName()));
        if (onClassPath(KryoRegistration.ND4J_REGISTRATOR)) ours.add(KryoRegistration.ND4J_REGISTRATOR);
        appendOnce(conf, KRYO_REGISTRATOR, ours.toArray(new String[0]));
    }

    /** Appends each class name to the comma-separated list {@code key}, after the names already there, once. */
    static void appendOnce(SparkConf conf, String key, String... classNames) {
        List<String> names = new ArrayList<>();
        for (String n : conf.get(key, "").split(",")) if (!n.isBlank()) names.add(n.trim());
        for (String n : classNames) if (!names.contains(n)) names.add(n);
        conf.set(key, String.join(",", names));
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, SparkSessions.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Cores used by a local master ("local[4]": 4, "local[*]": all, "local-cluster[2,1,1024]": 2), 0 if not local. */
    static int localCores(String master) {
        String m = master.trim().toLowerCase(Locale.ROOT);
        Matcher local = LOCAL.matcher(m);
        if (local.matches()) {
            String n = local.group(1);
            if (n == null) return 1;
            return n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
        }
        Matcher cluster = LOCAL_CLUSTER.matcher(m);
        if (cluster.matches()) return Integer.parseInt(cluster.group(1)) * Integer.parseInt(cluster.group(2));
        return 0;
    }

    private static SparkSession running() {
        for (Option<SparkSession> o : List.of(SparkSession.getActiveSession(), SparkSession.getDefaultSession())) {
            if (o.isDefined() && !o.get().sparkContext().isStopped()) return o.get();
        }
        return null;
    }
}
