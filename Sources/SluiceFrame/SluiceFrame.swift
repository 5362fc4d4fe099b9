/// Typed columnar tables: `Frame`, `Column`, `Schema`, and the `DataSource` / `DataSink` protocols.
public enum SluiceFrameModule {}
