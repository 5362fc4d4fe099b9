import SluiceFrame
import CLibCSV
/// CSV reader and writer over libcsv.
public enum SluiceCSVModule {}
