# The benchmark's 9-rule classification policy in Rego (OPA v1 syntax), equivalent to
# benchmarks/classify/pack/rules/tiers.rules. Input: the use case's facts as a flat object.
# Entry point: data.govern.classify.tier (one of prohibited, high, limited, minimal).
package govern.classify

banned_purposes := {
	"social_scoring", "subliminal_manipulation", "exploiting_vulnerabilities",
	"predictive_policing", "workplace_emotion_recognition", "untargeted_face_scraping",
}

annex_iii_domains := {
	"biometric_categorisation", "critical_infrastructure", "education", "employment",
	"essential_services", "law_enforcement", "migration", "justice",
}

large_impact_eur := 1000000

large_user_base := 100000

# --- prohibited -------------------------------------------------------------
prohibited if input.purpose in banned_purposes # banned-purpose

prohibited if { # realtime-public-biometrics
	input.biometrics == true
	input.realtime == true
	input.audience == "public"
}

# --- high -------------------------------------------------------------------
high if { # annex-iii-domain
	input.domain in annex_iii_domains
	input.affects_individuals == true
}

high if { # large-public-impact
	input.impact_eur >= large_impact_eur
	input.audience == "public"
}

high if input.safety_component == true # safety-component

high if { # post-remote-biometrics
	input.biometrics == true
	input.realtime == false
}

# --- limited ----------------------------------------------------------------
limited if input.interacts_with_humans == true # interacts-with-humans

limited if input.generates_content == true # generates-content

limited if input.n_users >= large_user_base # large-user-base

# --- the tier: most severe that applies -------------------------------------
default tier := "minimal"

tier := "prohibited" if prohibited
else := "high" if high
else := "limited" if limited
