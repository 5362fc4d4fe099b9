import Testing
import SluiceFrame
import SluicePipeline

/// Issue 8, item 6, the stage-level bullets: a stage inside a route acts on the route's
/// columns, a bool column survives a categorical route, and null is a category of its own.
@Suite("Stages inside routes, bool categories, null as its own category")
struct RouteStageTests {
    /// A categorical route's input: a string and a bool column with nulls, a numeric one.
    func mixed() throws -> Frame {
        try Frame([
            "x": .double([1, 2, 3, 4, 5]),
            "plan": .string(["a", nil, "b", "a", nil]),
            "member": .bool([true, nil, false, true, true]),
        ])
    }

    @Test("SimpleImputer(.mostFrequent) inside a .categorical route imputes the route's columns, in plan and fit")
    func imputerTakesRouteColumns() throws {
        let route = ColumnTransformer(remainder: .drop,
                                      .init(.categorical, SimpleImputer(strategy: .mostFrequent), OneHotEncoder()))
        var ctx = FitContext(seed: 0)
        let fitted = try route.fit(mixed(), context: &ctx)
        let imputer = try #require(fitted.routes.first?.stages.first?.base as? SimpleImputer.Fitted)
        #expect(imputer.columns == ["plan", "member"])
        #expect(imputer.fills == [.string("a"), .bool(true)])
        // No nulls reach the encoder: no null column, every row one-hot in each column.
        #expect(fitted.outputSchema.names == ["plan=a", "plan=b", "member=false", "member=true"])
        let out = try fitted.transform(mixed())
        #expect(try out.doubles("plan=a") == [1, 1, 0, 1, 1])
        #expect(try out.doubles("member=true") == [1, 1, 0, 1, 1])
        // Planning sees the same columns as fitting: both are expanded, nothing left over.
        #expect(try route.outputSchema(for: mixed().schema).names == ["plan=…", "member=…"])

        // Outside a route the imputer keeps its natural default, the numeric columns.
        let alone = try SimpleImputer(strategy: .mostFrequent).fit(mixed(), context: &ctx)
        #expect(alone.columns == ["x"])
    }

    @Test("an explicit selector inside a route keeps its meaning")
    func explicitSelectorInRoute() throws {
        let route = ColumnTransformer(remainder: .drop,
                                      .init(.categorical, SimpleImputer(columns: .names("member"), strategy: .mostFrequent),
                                            OneHotEncoder(columns: .types(.bool))))
        var ctx = FitContext(seed: 0)
        let fitted = try route.fit(mixed(), context: &ctx)
        #expect(fitted.outputSchema.names == ["plan", "member=false", "member=true"])
        #expect(try fitted.transform(mixed()).strings("plan")[1] == nil)
    }

    @Test("a route giving a scaler a string column by default fails, in plan and fit, saying why")
    func scalerGivenStringByRoute() throws {
        let route = ColumnTransformer(remainder: .drop, .init(.names("x", "plan"), StandardScaler()))
        let attempts: [() throws -> Void] = [
            { _ = try route.outputSchema(for: self.mixed().schema) },
            { var ctx = FitContext(seed: 0); _ = try route.fit(self.mixed(), context: &ctx) },
        ]
        for attempt in attempts {
            do {
                try attempt()
                Issue.record("StandardScaler took a string column")
            } catch let PipelineError.unsupportedType(stage, column, type, expected) {
                #expect(stage == "StandardScaler" && column == "plan" && type == .string)
                #expect(expected.hasPrefix("a numeric column"))
                #expect(expected.contains("route 1") && expected.contains("columns:"))
            }
        }
        // The same scaler told which columns to take is fine in that route.
        let told = ColumnTransformer(remainder: .drop, .init(.names("x", "plan"), StandardScaler(columns: .numeric)))
        var ctx = FitContext(seed: 0)
        #expect(try told.fit(mixed(), context: &ctx).outputSchema.names == ["x", "plan"])
    }

    @Test("a bool column in a categorical route stays bool through the imputer and is one-hot encoded")
    func boolThroughCategoricalRoute() throws {
        let frame = try Frame(["flag": .bool([true, nil, false, false, nil, false])])
        var ctx = FitContext(seed: 0)
        let imputer = try SimpleImputer(columns: .categorical, strategy: .mostFrequent).fit(frame, context: &ctx)
        #expect(imputer.outputSchema["flag"]?.type == .bool)
        #expect(try imputer.transform(frame).bools("flag") == [true, false, false, false, false, false])
        let constant = try SimpleImputer(columns: .names("flag"), strategy: .constantBool(true)).fit(frame, context: &ctx)
        #expect(try constant.transform(frame).bools("flag") == [true, true, false, false, true, false])
        #expect(constant.outputSchema["flag"]?.type == .bool)
        // Planned and fitted schemas agree on the type.
        #expect(try SimpleImputer(columns: .categorical, strategy: .mostFrequent).outputSchema(for: frame.schema)["flag"]?.type
                == .bool)

        let route = ColumnTransformer(remainder: .drop,
                                      .init(.categorical, SimpleImputer(columns: .categorical, strategy: .mostFrequent),
                                            OneHotEncoder(columns: .categorical)))
        let fitted = try route.fit(frame, context: &ctx)
        #expect(fitted.outputSchema.names == ["flag=false", "flag=true"])
        let out = try fitted.transform(frame)
        #expect(try out.doubles("flag=false") == [0, 1, 1, 1, 1, 1])
        #expect(try out.doubles("flag=true") == [1, 0, 0, 0, 0, 0])
    }

    @Test("one-hot: a real null and the string \"null\" are different categories")
    func nullIsNotTheStringNull() throws {
        let frame = try Frame(["plan": .string(["null", nil, "a", "null", nil, nil])])
        var ctx = FitContext(seed: 0)
        let fitted = try OneHotEncoder().fit(frame, context: &ctx)
        let e = try #require(fitted.encodings.first)
        #expect(e.categories == ["a", "null"] && e.hasNull)
        #expect(fitted.outputSchema.names == ["plan=a", "plan=null", "plan=<null>"])
        let out = try fitted.transform(frame)
        #expect(try out.doubles("plan=null") == [1, 0, 0, 1, 0, 0])
        #expect(try out.doubles("plan=<null>") == [0, 1, 0, 0, 1, 1])
        // Without the string, the null column keeps the plain name, last (scikit-learn sorts
        // None/NaN last too).
        let plain = try OneHotEncoder().fit(try Frame(["plan": .string(["b", nil, "a"])]), context: &ctx)
        #expect(plain.outputSchema.names == ["plan=a", "plan=b", "plan=null"])
        // A null unseen at fit is unknown: all zeros and counted.
        let noNulls = try OneHotEncoder().fit(try Frame(["plan": .string(["null", "a"])]), context: &ctx)
        var report = TransformReport()
        let scored = try noNulls.transform(try Frame(["plan": .string([nil, "null"])]), report: &report)
        #expect(try scored.doubles("plan=null") == [0, 1] && scored.doubles("plan=a") == [0, 0])
        #expect(report.totalUnknown == 1)
        // A null seen fewer than minFrequency times joins the infrequent group, whose name
        // steps aside for a category spelled "infrequent".
        let rare = try Frame(["plan": .string(["a", "a", "infrequent", "infrequent", "b", nil])])
        let grouped = try OneHotEncoder(minFrequency: 2).fit(rare, context: &ctx)
        #expect(grouped.outputSchema.names == ["plan=a", "plan=infrequent", "plan=<infrequent>"])
        #expect(try grouped.transform(rare).doubles("plan=<infrequent>") == [0, 0, 0, 0, 1, 1])
    }

    @Test("ordinal and target encoding keep a real null apart from the string \"null\"")
    func nullInOtherEncoders() throws {
        let frame = try Frame(["plan": .string(["null", nil, "a", "null", nil, "a", "null", nil])])
        var ctx = FitContext(seed: 0)
        let ordinal = try OrdinalEncoder().fit(frame, context: &ctx)
        #expect(ordinal.categories == [["a", "null"]])
        let codes = try ordinal.transform(frame).column("plan")
        #expect(codes.isNull(1) && codes.isNull(4) && !codes.isNull(0))
        #expect(try ordinal.transform(frame).doubles("plan")[0] == 1)

        var supervised = FitContext(seed: 0, target: .double([1, 0, 0, 1, 0, 0, 1, 0]))
        let target = try TargetEncoder(shuffle: false).fit(frame, context: &supervised)
        let e = try #require(target.encodings.first)
        #expect(e.categories == ["a", "null"] && e.hasNull)
        let encoded = try target.transform(frame).doubles("plan")
        #expect(encoded[0] > encoded[1], "the string \"null\" (always 1) and null (always 0) encode apart")
    }
}
