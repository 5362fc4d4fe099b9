/// The fitted stage kinds of the transform stages (scaling, power and quantile
/// transforms, clipping, feature engineering); artifacts can name these.
let transformStageKinds: [any FittedTransformer.Type] = [
    MinMaxScaler.Fitted.self, MaxAbsScaler.Fitted.self, RobustScaler.Fitted.self, PowerTransformer.Fitted.self,
    QuantileTransformer.Fitted.self, OutlierClipper.Fitted.self, PolynomialFeatures.Fitted.self,
    KBinsDiscretizer.Fitted.self, Log1pTransform.Fitted.self, PowerFeature.Fitted.self, DateParts.Fitted.self,
    ColumnRatio.Fitted.self, ColumnDifference.Fitted.self, CustomStage.Fitted.self,
]
