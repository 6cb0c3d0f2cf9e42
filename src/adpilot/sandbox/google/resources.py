"""The fields of the resources the Google Ads emulator writes, as proto3 JSON names (those of API v23 to v26).

Google's JSON front end refuses a name a message does not have (``Unknown name "x" at 'operations[0].create': Cannot
find field.``) and takes every name it has, whether or not the sandbox reads it: a client library that writes every
field at its default sends them all. The SDK contract tests compare these sets with the official library's messages.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


CAMPAIGN = _names(
    """
    acaMigrationDateTime accessibleBiddingStrategy adServingOptimizationStatus advertisingChannelSubType
    advertisingChannelType aiMaxSetting appCampaignSetting assetAutomationSettings audienceSetting baseCampaign
    biddingStrategy biddingStrategySystemStatus biddingStrategyType brandGuidelines brandGuidelinesEnabled
    broadMatchMigrationDateTime campaignBudget campaignGroup commission containsEuPoliticalAdvertising
    demandGenCampaignSettings dynamicSearchAdsSetting endDateTime excludedParentAssetFieldTypes
    excludedParentAssetSetTypes experimentType feedTypes finalUrlSuffix fixedCpm frequencyCaps
    geoTargetTypeSetting hotelPropertyAssetSet hotelSetting id keywordMatchType labels liftMeasurementConfig
    listingType localCampaignSetting localServicesCampaignSettings manualCpa manualCpc manualCpm manualCpv
    maximizeConversionValue maximizeConversions missingEuPoliticalAdvertisingDeclaration name networkSettings
    optimizationGoalSetting optimizationScore paymentMode percentCpc performanceMaxUpgrade pmaxCampaignSettings
    primaryStatus primaryStatusReasons realTimeBiddingSetting resourceName selectiveOptimization servingStatus
    shoppingSetting startDateTime status targetCpa targetCpc targetCpm targetCpv targetImpressionShare
    targetRoas targetSpend targetingSetting textGuidelines thirdPartyIntegrationPartners trackingSetting
    trackingUrlTemplate travelCampaignSettings urlCustomParameters vanityPharma videoBrandSafetySuitability
    videoCampaignSettings viewThroughConversionOptimizationEnabled
    """
)
CAMPAIGN_BUDGET = _names(
    """
    alignedBiddingStrategyId amountMicros deliveryMethod explicitlyShared hasRecommendedBudget id name period
    recommendedBudgetAmountMicros recommendedBudgetEstimatedChangeWeeklyClicks
    recommendedBudgetEstimatedChangeWeeklyCostMicros recommendedBudgetEstimatedChangeWeeklyInteractions
    recommendedBudgetEstimatedChangeWeeklyViews referenceCount resourceName status totalAmountMicros type
    """
)
AD_GROUP = _names(
    """
    adRotationMode aiMaxAdGroupSetting audienceSetting baseAdGroup campaign cpcBidMicros cpmBidMicros
    cpvBidMicros demandGenAdGroupSettings displayCustomBidDimension effectiveCpcBidMicros
    effectiveTargetCpaMicros effectiveTargetCpaSource effectiveTargetCpc effectiveTargetCpcSource
    effectiveTargetRoas effectiveTargetRoasSource excludeDemographicExpansion excludedParentAssetFieldTypes
    excludedParentAssetSetTypes finalUrlSuffix fixedCpmMicros id labels name optimizedTargetingEnabled
    percentCpcBidMicros primaryStatus primaryStatusReasons resourceName status targetCpaMicros targetCpcMicros
    targetCpmMicros targetCpvMicros targetRoas targetingSetting trackingUrlTemplate type urlCustomParameters
    verticalAdsFormatSetting videoAdGroupSettings
    """
)
AD_GROUP_AD = _names(
    """
    actionItems ad adGroup adGroupAdAssetAutomationSettings adStrength endDateTime labels policySummary
    primaryStatus primaryStatusReasons resourceName startDateTime status
    """
)
AD = _names(
    """
    addedByGoogleAds appAd appEngagementAd appPreRegistrationAd demandGenCarouselAd demandGenMultiAssetAd
    demandGenProductAd demandGenVideoResponsiveAd devicePreference displayUploadAd displayUrl
    expandedDynamicSearchAd expandedTextAd finalAppUrls finalMobileUrls finalUrlSuffix finalUrls hotelAd id
    imageAd legacyAppInstallAd legacyResponsiveDisplayAd localAd name resourceName responsiveDisplayAd
    responsiveSearchAd shoppingComparisonListingAd shoppingProductAd shoppingSmartAd smartCampaignAd
    syntheticContentInfo systemManagedResourceSource textAd trackingUrlTemplate travelAd type urlCollections
    urlCustomParameters videoAd videoResponsiveAd
    """
)

BY_SERVICE = {
    "campaigns": CAMPAIGN,
    "campaignBudgets": CAMPAIGN_BUDGET,
    "adGroups": AD_GROUP,
    "adGroupAds": AD_GROUP_AD,
}
