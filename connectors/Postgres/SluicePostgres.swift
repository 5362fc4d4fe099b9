import SluiceFrame
import CLibPQ
/// PostgreSQL source and sink over libpq, and a throwaway local cluster for tests and demos.
public enum SluicePostgresModule {}
