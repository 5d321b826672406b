package io.tributary.example;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads Tributary's order topic with the CloudEvents SDK's Kafka binding and prints one JSON line per event on
 * stdout: id, type, source, subject, time, sequence, dataschema (when the event has one), the content mode of
 * the record, and the data. Stops after --max-events events or when --timeout-ms has passed (exit code 2 when
 * --max-events was not reached by then). Offsets are committed only for events printed.
 */
public final class OrderConsumer {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("java-consumer: " + e.getMessage());
      System.exit(64);
      return;
    }
    if (options.help) {
      System.out.println(Options.USAGE);
      return;
    }
    try {
      long read = consume(options);
      System.err.printf("java-consumer: %d events from %s%n", read, options.topic);
      System.exit(read < options.maxEvents && options.maxEvents != Long.MAX_VALUE ? 2 : 0);
    } catch (IOException | RuntimeException e) {
      System.err.println("java-consumer: " + e);
      System.exit(1);
    }
  }

  /** The consumer's settings: SASL_SSL with SCRAM-SHA-512 and the stack CA as a PEM trust store. */
  static Properties consumerProperties(Options options) throws IOException {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, options.group);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    // Binary mode (ce_* headers) and structured mode (application/cloudevents+json) both become a CloudEvent.
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class.getName());
    props.put("security.protocol", "SASL_SSL");
    props.put("sasl.mechanism", "SCRAM-SHA-512");
    props.put(
        "sasl.jaas.config",
        String.format(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"%s\" password=\"%s\";",
            options.user, options.password()));
    if (options.caFile != null) {
      props.put("ssl.truststore.type", "PEM");
      props.put("ssl.truststore.location", options.caFile);
    }
    return props;
  }

  static long consume(Options options) throws IOException {
    long deadline = System.currentTimeMillis() + options.timeoutMs;
    long read = 0;
    try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(consumerProperties(options))) {
      consumer.subscribe(List.of(options.topic));
      while (read < options.maxEvents && System.currentTimeMillis() < deadline) {
        ConsumerRecords<String, CloudEvent> records = consumer.poll(Duration.ofMillis(500));
        Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
        for (ConsumerRecord<String, CloudEvent> record : records) {
          if (read == options.maxEvents) break;
          System.out.println(JSON.writeValueAsString(toJson(record)));
          read++;
          done.put(
              new TopicPartition(record.topic(), record.partition()),
              new OffsetAndMetadata(record.offset() + 1));
        }
        System.out.flush();
        if (!done.isEmpty()) consumer.commitSync(done);
      }
    }
    return read;
  }

  /** One line of output. The data of Tributary's events is JSON: `{ change, state }` for orders. */
  static ObjectNode toJson(ConsumerRecord<String, CloudEvent> record) throws IOException {
    CloudEvent event = record.value();
    ObjectNode line = JSON.createObjectNode();
    line.put("id", event.getId());
    line.put("type", event.getType());
    line.put("source", event.getSource().toString());
    line.put("subject", event.getSubject());
    line.put("time", event.getTime() == null ? null : event.getTime().toString());
    Object sequence = event.getExtension("sequence");
    line.put("sequence", sequence == null ? null : sequence.toString());
    if (event.getDataSchema() != null) line.put("dataschema", event.getDataSchema().toString());
    line.put("key", record.key());
    line.put("mode", contentMode(record));
    byte[] data = event.getData() == null ? null : event.getData().toBytes();
    line.set("data", data == null ? null : JSON.readTree(data));
    return line;
  }

  /** Structured records carry the CloudEvents content type; binary ones the data's own. */
  static String contentMode(ConsumerRecord<String, CloudEvent> record) {
    Header contentType = record.headers().lastHeader("content-type");
    String value = contentType == null ? "" : new String(contentType.value(), StandardCharsets.UTF_8);
    return value.startsWith("application/cloudevents") ? "structured" : "binary";
  }

  /** Command-line options, `--name value`. */
  static final class Options {
    static final String USAGE =
        String.join(
            "\n",
            "usage: java -jar tributary-java-consumer.jar [options]",
            "  --bootstrap HOST:PORT   brokers (default 127.0.0.1:9092)",
            "  --topic NAME            topic to read (default order)",
            "  --group ID              consumer group (default tributary-verify-java-example)",
            "  --user NAME             SCRAM user (default tributary-verify)",
            "  --password-file PATH    file holding the user's password (or --password)",
            "  --ca-file PATH          PEM file of the CA that signed the brokers' certificates",
            "  --max-events N          stop after N events (default: no limit)",
            "  --timeout-ms MS         stop after MS milliseconds (default 30000)");

    String bootstrap = "127.0.0.1:9092";
    String topic = "order";
    String group = "tributary-verify-java-example";
    String user = "tributary-verify";
    String passwordFile;
    String passwordValue;
    String caFile;
    long maxEvents = Long.MAX_VALUE;
    long timeoutMs = 30_000;
    boolean help;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String name = args[i];
        if (name.equals("--help") || name.equals("-h")) {
          o.help = true;
          continue;
        }
        if (i + 1 >= args.length) throw new IllegalArgumentException(name + " needs a value (--help)");
        String value = args[++i];
        switch (name) {
          case "--bootstrap" -> o.bootstrap = value;
          case "--topic" -> o.topic = value;
          case "--group" -> o.group = value;
          case "--user" -> o.user = value;
          case "--password-file" -> o.passwordFile = value;
          case "--password" -> o.passwordValue = value;
          case "--ca-file" -> o.caFile = value;
          case "--max-events" -> o.maxEvents = positive(name, value);
          case "--timeout-ms" -> o.timeoutMs = positive(name, value);
          default -> throw new IllegalArgumentException("unknown option " + name + " (--help)");
        }
      }
      if (!o.help && o.passwordFile == null && o.passwordValue == null) {
        throw new IllegalArgumentException("give --password-file or --password");
      }
      return o;
    }

    String password() throws IOException {
      if (passwordValue != null) return passwordValue;
      return Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).trim();
    }

    private static long positive(String name, String value) {
      try {
        long n = Long.parseLong(value);
        if (n > 0) return n;
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
      throw new IllegalArgumentException(name + " must be a positive integer, got '" + value + "'");
    }
  }
}
