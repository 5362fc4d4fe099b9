import Foundation
import SluiceFrame
import SluiceLearn
import SluicePipeline
import SluicePostgres

/// One stored model version (without its bytes).
public struct ModelRecord: Sendable, Equatable {
    public var job: String
    public var version: Int
    public var createdAt: String
    public var runID: RunID?
    public var kind: String
    public var keyMetric: String?
    public var keyValue: Double?
    public var metrics: String
    public var dataFingerprint: String
    public var seed: UInt64
    public var sha256: String
    /// Whether this version is the job's deployed one.
    public var deployed: Bool
}

/// A deployed model, ready to score.
public struct DeployedModel: Sendable {
    public var version: Int
    public var pipeline: FittedPipeline
    public var metadata: Artifact.Metadata
}

/// The model store, `sluice.models` and `sluice.deployments`: every trained artifact with
/// its metrics, feature schema, data fingerprint, seed, bytes and SHA-256; the deployment
/// history per job (the latest row is the deployed version).
public struct ModelStore {
    let connection: PostgresConnection
    let codec: ArtifactCodec

    public init(_ connection: PostgresConnection, codec: ArtifactCodec = .standard) {
        self.connection = connection
        self.codec = codec
    }

    /// Stores `artifact` (bytes from ``Artifact/encode(_:metrics:annotations:key:)``) as the job's
    /// next version and returns it.
    public func store(job: String, run: RunID?, artifact: [UInt8], keyMetric: String?, keyValue: Double?) throws -> Int {
        let meta = try Artifact.metadata(of: artifact, path: "job \(job) artifact")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let metrics = String(decoding: try encoder.encode(meta.metrics), as: UTF8.self)
        let schema = String(decoding: try encoder.encode(meta.inputSchema), as: UTF8.self)
        return try connection.transaction { c in
            try c.execute("SELECT pg_advisory_xact_lock(hashtext('sluice.models'), hashtext($1))", [.string(job)])
            let next = try c.rows("SELECT coalesce(max(version), 0) + 1 FROM sluice.models WHERE job = $1", [.string(job)])
            guard let text = next.first?.first ?? nil, let version = Int(text) else {
                throw JobError.configuration(job: job, reason: "the model store gave no version")
            }
            try c.execute("""
                INSERT INTO sluice.models (job, version, run_id, kind, metrics, key_metric, key_value, feature_schema,
                    data_fingerprint, seed, artifact, sha256)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8::jsonb, $9, $10, decode($11, 'base64'), $12)
                """, [.string(job), .int64(Int64(version)), run.map { .int64($0) } ?? .null, .string(meta.modelKind),
                      .string(metrics), keyMetric.map { .string($0) } ?? .null,
                      keyValue.flatMap { $0.isFinite ? .double($0) : nil } ?? .null, .string(schema),
                      .string(meta.dataFingerprint), .int64(Int64(bitPattern: meta.seed)),
                      .string(Data(artifact).base64EncodedString()), .string(Artifact.digest(of: artifact))])
            return version
        }
    }

    /// Makes `version` the job's deployed model.
    public func deploy(job: String, version: Int, run: RunID?, reason: String) throws {
        guard try !connection.rows("SELECT 1 FROM sluice.models WHERE job = $1 AND version = $2",
                                   [.string(job), .int64(Int64(version))]).isEmpty else {
            throw JobError.unknownVersion(job: job, version: version)
        }
        try connection.execute("INSERT INTO sluice.deployments (job, version, run_id, reason) VALUES ($1, $2, $3, $4)",
                               [.string(job), .int64(Int64(version)), run.map { .int64($0) } ?? .null, .string(reason)])
    }

    /// The deployed version and its key metric value.
    public func deployedVersion(job: String) throws -> (version: Int, keyValue: Double?)? {
        let rows = try connection.rows("""
            SELECT d.version, m.key_value FROM sluice.deployments d
            JOIN sluice.models m ON m.job = d.job AND m.version = d.version
            WHERE d.job = $1 ORDER BY d.deployment_id DESC LIMIT 1
            """, [.string(job)])
        guard let row = rows.first, let v = row[0].flatMap({ Int($0) }) else { return nil }
        return (v, row[1].flatMap { Double($0) })
    }

    /// The artifact bytes of `version`, checked against their stored SHA-256.
    public func artifact(job: String, version: Int) throws -> [UInt8] {
        let rows = try connection.rows("SELECT encode(artifact, 'base64'), sha256 FROM sluice.models WHERE job = $1 AND version = $2",
                                       [.string(job), .int64(Int64(version))])
        guard let row = rows.first, let text = row[0] else { throw JobError.unknownVersion(job: job, version: version) }
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
            throw ArtifactError.corrupt(path: "sluice.models \(job) v\(version)", reason: "the stored bytes are not base64")
        }
        let bytes = [UInt8](data)
        guard Artifact.digest(of: bytes) == row[1] else {
            throw ArtifactError.corrupt(path: "sluice.models \(job) v\(version)", reason: "the bytes do not match their stored SHA-256")
        }
        return bytes
    }

    /// Loads `version` through the codec (whatever its model kind).
    public func load(job: String, version: Int) throws -> DeployedModel {
        let bytes = try artifact(job: job, version: version)
        let path = "sluice.models \(job) v\(version)"
        return DeployedModel(version: version, pipeline: try Artifact.decode(bytes, path: path, codec: codec),
                             metadata: try Artifact.metadata(of: bytes, path: path))
    }

    /// The deployed model, if the job has one.
    public func deployed(job: String) throws -> DeployedModel? {
        guard let (version, _) = try deployedVersion(job: job) else { return nil }
        return try load(job: job, version: version)
    }

    /// The job's versions, newest first.
    public func versions(job: String) throws -> [ModelRecord] {
        let deployed = try deployedVersion(job: job)?.version
        return try connection.rows("""
            SELECT job, version, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), run_id, kind,
                   key_metric, key_value, metrics::text, data_fingerprint, seed, sha256
            FROM sluice.models WHERE job = $1 ORDER BY version DESC
            """, [.string(job)]).map { r in
            let version = r[1].flatMap { Int($0) } ?? 0
            return ModelRecord(job: r[0] ?? "", version: version, createdAt: r[2] ?? "", runID: r[3].flatMap { Int64($0) },
                               kind: r[4] ?? "", keyMetric: r[5], keyValue: r[6].flatMap { Double($0) }, metrics: r[7] ?? "{}",
                               dataFingerprint: r[8] ?? "", seed: r[9].flatMap { Int64($0) }.map { UInt64(bitPattern: $0) } ?? 0,
                               sha256: r[10] ?? "", deployed: version == deployed)
        }
    }
}
