package dev.sotto.node;

import dev.sotto.Envelope;
import dev.sotto.Frame;
import dev.sotto.Link;
import dev.sotto.RandomSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostProbe {
  @TempDir Path dir;

  static Envelope env(byte[] tag, int bucket) throws Exception {
    byte[] e = RandomSource.secure().bytes(Envelope.BUCKETS.get(bucket));
    e[0] = Envelope.VERSION;
    System.arraycopy(tag, 0, e, 1, 16);
    return Envelope.parse(e);
  }

  @Test
  void measure() throws Exception {
    try (Node m = Node.open(TestNodes.init(dir, "m", List.of()), null, Node.Options.defaults())) {
      NodeCore core = m.core();
      NodeCore.LinkState link = new NodeCore.LinkState();
      List<byte[]> tags = new ArrayList<>();
      for (int i = 0; i < 1024; i++) tags.add(RandomSource.secure().bytes(16));
      int id = 1;
      // empty FETCH of 1024 tags
      for (int round = 0; round < 3; round++) {
        long t = System.nanoTime();
        for (int i = 0; i < 50; i++) core.handle(link, Frame.fetch(id++, tags));
        System.out.printf("empty FETCH 1024 tags: %.3f ms%n", (System.nanoTime() - t) / 50 / 1e6);
        t = System.nanoTime();
        for (int i = 0; i < 50; i++) core.handle(link, Frame.fetch(id++, tags.subList(0, 1)));
        System.out.printf("empty FETCH 1 tag: %.3f ms%n", (System.nanoTime() - t) / 50 / 1e6);
        t = System.nanoTime();
        for (int i = 0; i < 200; i++) core.handle(link, Frame.getPrekeys(id++, tags.get(i)));
        System.out.printf("GET_PREKEYS unknown: %.3f ms%n", (System.nanoTime() - t) / 200 / 1e6);
        t = System.nanoTime();
        for (int i = 0; i < 200; i++) core.handle(link, Frame.deliver(id++, env(tags.get(i), 0)));
        System.out.printf("DELIVER unknown tag: %.3f ms%n", (System.nanoTime() - t) / 200 / 1e6);
      }
      // deposit 2000 items of 64 KiB under the 1024 tags
      long t = System.nanoTime();
      for (int i = 0; i < 2000; i++) {
        core.handle(link, Frame.deposit(id++, env(tags.get(i % 1024), 3)));
        if (i % 500 == 499) {
          System.out.printf("DEPOSIT 64 KiB, %d held: %.3f ms%n", i + 1, (System.nanoTime() - t) / 500 / 1e6);
          t = System.nanoTime();
        }
      }
      for (int i = 0; i < 3; i++) {
        t = System.nanoTime();
        for (int j = 0; j < 100; j++) core.handle(link, Frame.deposit(id++, env(RandomSource.secure().bytes(16), 0)));
        System.out.printf("DEPOSIT 1 KiB, 2000x64KiB held: %.3f ms%n", (System.nanoTime() - t) / 100 / 1e6);
      }
      for (int round = 0; round < 3; round++) {
        Thread.sleep(2000);
        t = System.nanoTime();
        List<Frame> out = null;
        for (int i = 0; i < 4; i++) out = core.handle(new NodeCore.LinkState(), Frame.fetch(id++, tags));
        System.out.printf("full FETCH 1024 tags (%d frames): %.3f ms%n", out.size(), (System.nanoTime() - t) / 4 / 1e6);
        dev.sotto.LinkKey key = dev.sotto.LinkKey.generate(RandomSource.secure());
        dev.sotto.LinkInitiator init = dev.sotto.LinkInitiator.start(key.publicKey(), java.time.Instant.now(), RandomSource.secure());
        Link[] pair = {new dev.sotto.LinkResponder(key, new dev.sotto.LinkReplayFilter(10)).accept(init.hello(), java.time.Instant.now(), RandomSource.secure()).link()};
        t = System.nanoTime();
        for (int i = 0; i < 20; i++) for (Frame f : out) pair[0].seal(f);
        System.out.printf("  sealing them: %.3f ms%n", (System.nanoTime() - t) / 20 / 1e6);
      }
    }
  }
}
