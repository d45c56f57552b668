"""Product questions, warranty claims and data privacy: the smaller categories."""

from support_content import Scenario

PRODUCT = "product_questions"
WARRANTY = "warranty_claims"
PRIVACY = "data_privacy"


def _cap_verdict(t):
    if int(t.value("cap")) < 70:
        return ("At {cap}%, that would be below the guarantee, so I've opened a warranty claim; if the test confirms "
                "it, we'll replace the battery module at no cost, including labour.")
    return ("At {cap}% after {years} years, it's within the expected range - the cells lose a little capacity each "
            "year, and it's still above the 70% guarantee.")


def _warranty_outcome(t):
    months = int(t.value("months"))
    if months <= 24:
        return ("[Tempo thermostats have a 2-year limited warranty (3 years with an active Plus subscription), so "
                "you're covered.|At {months} months it's within the 2-year warranty.]")
    return ("[At {months} months it's past the standard 2-year warranty, but with an active Plus subscription the "
            "warranty is 3 years, and I can see Plus on your account, so you're covered.|The standard warranty is 2 "
            "years; because you've had Plus the whole time, yours runs for 3 years, so you're still covered.]")


SCENARIOS = [
    Scenario(
        key="product/tempo_vs_lite", category=PRODUCT, weight=1.3,
        user=[
            "What's the difference between the Tempo 3 and the Tempo Lite? [Is the extra $80 worth it?|I have a "
            "{hvac}, does that matter?|Which one should I get?|]",
            "[Thinking about buying a thermostat.|Trying to decide.] Tempo 3 or Tempo Lite for a {hvac}?",
            "@lite [Is the Tempo Lite enough|Do I need the Tempo 3] for [a small apartment|a simple furnace and AC|a "
            "two-storey house with one system]? [Don't want to overspend.|What would I miss with the Lite?]",
        ],
        answer=[
            "{ack_question} [The main differences:|In short:]\n- [Tempo 3 ($219) has a built-in occupancy sensor, a "
            "larger colour display, dual-band Wi-Fi, and supports up to 3 heating / 2 cooling stages and dual fuel.|"
            "Tempo 3: $219, colour screen, occupancy sensor, 2.4 and 5 GHz Wi-Fi, multi-stage (3H/2C) and dual-fuel "
            "support.]\n- [Tempo Lite ($139) has a simpler display, 2.4 GHz Wi-Fi only, and supports up to 2 heating / "
            "1 cooling stages.|Tempo Lite: $139, 2.4 GHz only, up to 2 heat and 1 cool stage, no occupancy sensor.]"
            "\n\n[Both work with Sense sensors, Smart Shift and the app.|Both support Sense sensors, schedules, Eco and "
            "Smart Shift.] [For a heat pump with auxiliary heat, the Tempo 3 is the better fit.|If you have a heat "
            "pump with backup heat or a multi-stage system, go with the Tempo 3; for a simple furnace and AC, the Lite "
            "does the job.]",
            "@lite {ack_question} [For a single-stage furnace and AC, the Tempo Lite ($139) does everything you need: schedules, "
            "Eco, the app, Sense sensors and Smart Shift.|The Lite covers the essentials - app control, schedules, "
            "Eco, sensors and Smart Shift - for simple systems.] [What you'd miss is the Tempo 3's built-in occupancy "
            "sensor, the colour screen and 5 GHz Wi-Fi.|The Tempo 3 ($219) adds an occupancy sensor, a bigger colour "
            "display and dual-band Wi-Fi.] [If you might add a heat pump later, the Tempo 3 gives you room to grow.|The "
            "one reason to go for the Tempo 3 on a simple system is a future heat pump or second stage.]",
        ],
        synth={
            "topic": "choosing between the Tempo 3 and Tempo Lite",
            "asks": ["What is the difference between the Tempo 3 and the Tempo Lite thermostats?", "Which Quillfield "
                     "thermostat should I buy?"],
            "steps": [
                ("Compare features", "The Tempo 3 includes an occupancy sensor and a larger color display."),
                ("Check Wi-Fi support", "The Tempo 3 supports dual-band Wi-Fi, while the Lite supports 2.4 GHz."),
                ("Consider your HVAC system", "Multi-stage and dual-fuel systems are best served by the Tempo 3."),
                ("Review your budget", "The Tempo Lite is the more affordable option."),
                ("Use the compatibility checker", "Confirm that your system is compatible before purchasing."),
            ],
        },
    ),
    Scenario(
        key="product/vault_sizing", category=PRODUCT,
        user=[
            "Should I get the Vault 10 or Vault 15? [We have {home_desc}.|Mainly want backup during outages.|We have "
            "solar already.] [How long would it last?|Can it run the AC?|]",
            "How many hours would a {battery} run [my house|the essentials] in an outage? We have {home_desc}.",
        ],
        answer=[
            "{ack_question} [Vault 10 stores 10 kWh and delivers 5 kW continuous; Vault 15 stores 15 kWh and delivers "
            "7.6 kW.|The Vault 10 is 10 kWh / 5 kW; the Vault 15 is 15 kWh / 7.6 kW.] [A typical backed-up panel "
            "(fridge, lights, Wi-Fi, outlets, furnace blower) uses about 0.5-1 kW, so a Vault 10 covers roughly 10-20 "
            "hours without solar.|Essentials usually draw 0.5-1 kW, which is 10-20 hours on a Vault 10.] [Central AC "
            "and well pumps need a big starting current; the Vault 15's 7.6 kW is usually needed for those.|For "
            "central AC or a well pump, the higher output of the Vault 15 matters more than the extra storage.] [You "
            "can stack up to 3 units later.|Units can be stacked (up to 3) if you need more.] [The free site survey "
            "includes a load calculation, so the installer will recommend a size for your home.|The site survey "
            "includes a sizing recommendation based on your panel.]",
        ],
        slots={"home_desc": ["a 3-bedroom house with gas heat", "a 2,000 sq ft house, all electric",
                             "solar panels and an EV", "a well pump and a chest freezer", "a small bungalow"]},
        synth={
            "topic": "choosing the right home battery size",
            "asks": ["Should I choose the Vault 10 or the Vault 15?", "How long can a Vault battery power my home "
                     "during an outage?"],
            "steps": [
                ("Estimate your usage", "Consider which appliances you want to power during an outage."),
                ("Compare capacity", "The Vault 10 stores 10 kWh, while the Vault 15 stores 15 kWh."),
                ("Consider power output", "Large appliances like AC units may require the Vault 15."),
                ("Plan for expansion", "Up to 3 units can be stacked for more capacity."),
                ("Schedule a site survey", "An installer can recommend the right size for your home."),
            ],
        },
    ),
    Scenario(
        key="product/voice_assistants", category=PRODUCT,
        user=[
            "Does the {thermostat} work with [Alexa|Google Home|Apple Home|HomeKit|SmartThings]? [I want to control "
            "it by voice.|We have everything else on it.|]",
        ],
        answer=[
            "{ack_question} [Yes - the {thermostat} supports Matter, so it works with Apple Home, Google Home, Alexa "
            "and SmartThings.|Yes, through Matter: Apple Home, Google Home, Amazon Alexa and SmartThings all work.] "
            "[To set it up, go to Devices > {thermostat} > Integrations > Matter and scan the code with your home app.|"
            "In the app: Devices > {thermostat} > Integrations > Matter, then add it in your smart home app with the "
            "code shown.] [Voice control covers mode and temperature; schedules and Smart Shift stay in the Quillfield "
            "app.|You can change mode and temperature by voice; schedules are still managed in our app.]",
        ],
        synth={
            "topic": "voice assistant compatibility",
            "asks": ["Does the Quillfield thermostat work with Alexa or Google Home?"],
            "steps": [
                ("Check Matter support", "Quillfield thermostats support the Matter smart home standard."),
                ("Open integrations", "Go to Devices > Integrations > Matter in the Quillfield app."),
                ("Scan the code", "Use your smart home app to scan the setup code."),
                ("Test voice commands", "Try asking your voice assistant to change the temperature."),
            ],
        },
    ),
    Scenario(
        key="product/plus_worth_it", category=PRODUCT,
        user=[
            "What do I actually get with Plus? [Is it worth it?|I'm on the free trial.|Does it save money?]",
        ],
        answer=[
            "{ack_question} [Quillfield Plus ($5.99/month or $59/year) adds:|Plus costs $5.99 a month or $59 a year "
            "and includes:]\n- [Smart Shift: moves heating and cooling out of your utility's peak-rate hours "
            "automatically.|Smart Shift, which shifts heating and cooling away from peak-price hours.]\n- [Monthly "
            "energy reports with a breakdown by heating, cooling and (if you have a Vault) battery.|Detailed monthly "
            "energy reports.]\n- [An extra year of warranty on Tempo thermostats (3 years instead of 2).|3-year "
            "warranty on Tempo thermostats instead of 2.]\n- [Priority support.|Priority chat support.]\n\n[Whether it "
            "pays off depends on your utility: on a time-of-use rate, Smart Shift typically saves $8-15 a month; on a "
            "flat rate, the savings are small.|If your utility has time-of-use pricing, most households save more than "
            "the subscription costs; with a flat rate, it's mostly the reports and warranty.]",
        ],
        synth={
            "topic": "the benefits of Quillfield Plus",
            "asks": ["What features are included in Quillfield Plus?", "Is Quillfield Plus worth the cost?"],
            "steps": [
                ("Smart Shift", "Automatically shifts energy use away from peak-rate hours."),
                ("Energy reports", "Provides detailed monthly reports on your energy usage."),
                ("Extended warranty", "Adds an extra year of warranty coverage to Tempo thermostats."),
                ("Priority support", "Gives you faster access to customer support."),
                ("Evaluate your savings", "Savings depend on your utility's rate structure."),
            ],
        },
    ),
    Scenario(
        key="product/heat_pump", category=PRODUCT, weight=0.8,
        user=[
            "@support Does the {thermostat} support [heat pumps with aux heat|dual fuel|two-stage heating|emergency heat]?",
            "@support We're [getting|switching to] a {hvac} [installed next month|this autumn|soon]. [Will the {thermostat} handle "
            "the aux heat properly?|Is the {thermostat} a good match?|Anything special to set up?]",
            "@aux [How does the thermostat decide when to use the backup heat?|When does aux heat kick in with your "
            "thermostat?] [Our electric bill doubled in January.|The strips seem to run a lot.]",
        ],
        answer=[
            "@support {ack_question} [The Tempo 3 supports heat pumps with auxiliary or emergency heat, dual fuel, and up to 3 "
            "heating and 2 cooling stages; the Tempo Lite handles heat pumps with one stage of auxiliary heat.|Tempo "
            "3: heat pump with aux or emergency heat, dual fuel, up to 3 heat / 2 cool stages. Tempo Lite: heat pump "
            "with one aux stage, 2 heat / 1 cool.] [You can set an outdoor temperature lockout for the aux heat under "
            "Menu > Equipment > Heat pump > Aux lockout, which keeps the expensive backup heat off when the heat pump "
            "can manage alone.|A useful setting is the aux heat lockout (Menu > Equipment > Heat pump), which prevents "
            "backup heat above a chosen outdoor temperature.]",
            "@aux {ack_question} [The thermostat uses the heat pump first and brings in auxiliary heat only when the house falls "
            "more than 2 degrees behind the set point, or when the outdoor temperature is below the lockout you "
            "choose.|Aux heat only runs when the heat pump can't keep up - by default when the room is 2 degrees "
            "below target - and never above the outdoor lockout temperature.] [If your bill jumped, lower the aux "
            "lockout (Menu > Equipment > Heat pump > Aux lockout) to around 35°F and avoid big set-point jumps in the "
            "morning, which trigger the strips.|Large morning set-backs are the usual reason aux heat runs a lot; "
            "smaller changes and a lower lockout (Menu > Equipment > Heat pump) keep it off.] [The energy report shows "
            "aux runtime separately so you can check.|Your energy report lists aux heat hours separately.]",
        ],
        synth={
            "topic": "heat pump support",
            "asks": ["Can the Quillfield thermostat control a heat pump with auxiliary heat?"],
            "steps": [
                ("Check your model", "The Tempo 3 supports multi-stage and dual-fuel systems."),
                ("Configure equipment", "Set your system type under Menu > Equipment."),
                ("Set an aux lockout", "Prevent backup heat above a certain outdoor temperature."),
                ("Verify wiring", "Make sure the O/B wire is connected correctly."),
            ],
        },
    ),
    Scenario(
        key="product/sense_battery", category=PRODUCT, weight=0.6,
        user=[
            "How long does the battery last in the Sense sensor? [What type is it?|Mine's at 20% after a year.|]",
        ],
        answer=[
            "{ack_question} [Sense sensors use a standard CR2032 coin cell that lasts about 2 years|The CR2032 battery "
            "in each Sense sensor typically lasts around two years]; [the app warns you at 15%|you'll get an app "
            "notification when it drops to 15%]. [Sensors in cold rooms (garage, basement) drain faster.|Cold rooms "
            "shorten battery life.] [To replace it, twist the back cover counter-clockwise.|Twist off the back cover "
            "to swap it.]",
        ],
        synth={
            "topic": "Sense sensor battery life",
            "asks": ["How long does the battery in a Sense room sensor last?"],
            "steps": [
                ("Battery type", "Sense sensors use a CR2032 coin cell battery."),
                ("Expected life", "The battery typically lasts about two years."),
                ("Low battery alerts", "The app will notify you when the battery is low."),
                ("Replacing the battery", "Twist off the back cover to replace the battery."),
            ],
        },
    ),
    Scenario(
        key="warranty/thermostat_defect", category=WARRANTY, weight=1.3,
        user=[
            "My {thermostat} [screen flickers|has a dead line across the screen|dial stopped clicking|shows E47] and "
            "it's {months} months old. [Is it under warranty?|What are my options?|]",
            "[Thermostat died|The {thermostat} stopped working] after {months} months. [No display at all.|E47 on the "
            "screen.] [Warranty?|Can I get it replaced?]",
        ],
        answer=[
            "{ack_problem} {warranty_outcome} [We'll do an advance replacement: we ship a new unit first with a "
            "prepaid label for the faulty one, so you're never without heating control.|We ship the replacement "
            "first; you send the old one back with the prepaid label within 14 days.] [We place a temporary hold for "
            "the device price on your card, released when the old unit arrives.|There's a temporary card hold for the "
            "device's price until we receive the old one.] [Please reply with the serial number from Menu > Settings > "
            "About (or the back of the unit) and I'll set it up.|Send me the serial number (Menu > Settings > About) "
            "and I'll start the replacement.]",
        ],
        slots={"months": ["14", "9", "19", "22", "7", "27", "31"], "warranty_outcome": _warranty_outcome},
        synth={
            "topic": "warranty replacement for a faulty thermostat",
            "asks": ["My thermostat stopped working. Is it covered under warranty?", "How do I make a warranty claim "
                     "for my Quillfield thermostat?"],
            "steps": [
                ("Check your warranty", "Tempo thermostats have a 2-year limited warranty."),
                ("Find the serial number", "Go to Menu > Settings > About to find your serial number."),
                ("Contact support", "Provide your serial number and a description of the issue."),
                ("Receive a replacement", "A replacement unit will be shipped to you."),
                ("Return the faulty unit", "Use the prepaid label to return the defective device."),
            ],
        },
    ),
    Scenario(
        key="warranty/vault_capacity", category=WARRANTY,
        user=[
            "My {battery} [only shows|seems to hold] about {cap}% of its original capacity after {years} years. "
            "[Isn't that covered?|Is that normal?|What does the warranty say?]",
        ],
        answer=[
            "{ack_question} [The Vault warranty is 10 years and guarantees at least 70% of the original capacity over "
            "that period.|Vault batteries are warranted for 10 years, including a guarantee that capacity stays at or "
            "above 70%.] {cap_verdict} [The capacity figure in the app (Energy > Vault > Health) is an estimate; our "
            "battery team runs a calibrated test remotely before a claim.|The Health figure in the app is an estimate "
            "- we'll run a calibrated capacity test remotely to confirm.]",
        ],
        slots={"cap": ["62", "68", "75", "81", "66", "88"], "years": ["3", "4", "5", "6", "7"],
               "cap_verdict": _cap_verdict},
        synth={
            "topic": "battery capacity and warranty coverage",
            "asks": ["My home battery seems to hold less charge than before. Is this covered by the warranty?"],
            "steps": [
                ("Check battery health", "Go to Energy > Vault > Health in the app."),
                ("Review the warranty", "The Vault warranty covers 10 years and at least 70% capacity."),
                ("Contact support", "Support can run a remote capacity test."),
                ("File a claim", "If capacity is below the guarantee, a warranty claim can be opened."),
            ],
        },
    ),
    Scenario(
        key="privacy/data_export", category=PRIVACY,
        user=[
            "How can I [download|get a copy of] all the data you have about me[ and my home|]? [Is that possible under "
            "GDPR?|I'd like to see what's stored.|]",
        ],
        answer=[
            "{ack_question} [Go to Settings > Privacy > Download my data in the app.|You can request an export from "
            "Settings > Privacy > Download my data.] [We prepare an archive with your account details, device "
            "history, schedules, energy data and support chats within 72 hours, and email you a download link that's "
            "valid for 7 days.|Within 72 hours you'll get an email with a link (valid 7 days) to a ZIP with your "
            "profile, device and energy history, and support conversations.] [The files are CSV and JSON so you can "
            "open them in a spreadsheet.|Data comes as CSV and JSON files.]",
        ],
        synth={
            "topic": "downloading your personal data",
            "asks": ["How can I download a copy of my personal data from Quillfield?"],
            "steps": [
                ("Open privacy settings", "Go to Settings > Privacy > Download my data."),
                ("Request your data", "Submit a request for a data export."),
                ("Wait for the email", "You will receive a download link within 72 hours."),
                ("Download the archive", "The link is valid for 7 days."),
            ],
        },
    ),
    Scenario(
        key="privacy/delete_account", category=PRIVACY,
        user=[
            "[I want|Please] [to delete|to remove|delete] my account and all my data. [We sold the house.|I don't use "
            "the product anymore.|I don't want my usage data stored.]",
        ],
        answer=[
            "{ack_question} [You can do it yourself under Settings > Privacy > Delete account, or I can start it for "
            "you.|Settings > Privacy > Delete account starts the process.] [Deletion is permanent and completed within "
            "30 days; the devices are unlinked immediately.|Everything is erased within 30 days and devices are "
            "unlinked straight away.] [We keep invoices for 7 years because tax law requires it, but nothing else.|The "
            "only thing we're legally required to keep is billing records (7 years).] [If you have an active Plus "
            "subscription, cancel it first so you aren't charged again.|Cancel Plus first if it's active.]",
        ],
        synth={
            "topic": "deleting your account and data",
            "asks": ["How do I delete my Quillfield account and all of my data?"],
            "steps": [
                ("Cancel subscriptions", "Cancel any active subscriptions before deleting your account."),
                ("Open privacy settings", "Go to Settings > Privacy > Delete account."),
                ("Confirm deletion", "Follow the prompts to confirm that you want to delete your account."),
                ("Wait for completion", "Your data will be deleted within 30 days."),
            ],
        },
    ),
    Scenario(
        key="privacy/data_sharing", category=PRIVACY,
        user=[
            "Do you [sell|share] my [energy usage|thermostat] data with [my utility|advertisers|third parties]? [I got "
            "an email from {utility} about a rewards programme.|Can my installer see my usage?|]",
        ],
        answer=[
            "{ack_question} [We don't sell your data, and we don't share it with advertisers.|Your data is never sold "
            "or used for advertising.] [Your utility only receives data if you join a rewards or demand-response "
            "programme, and you can leave it any time under Settings > Privacy > Connected programmes.|Data goes to a "
            "utility only when you opt in to one of their programmes (Settings > Privacy > Connected programmes), and "
            "you can withdraw at any time.] [Installers can see device status during the installation window and for "
            "30 days after, to help with support; you can revoke that under Settings > Privacy > Installer access.|"
            "Installers get temporary device-status access after an install (30 days), which you can revoke in "
            "Settings > Privacy > Installer access.]",
        ],
        synth={
            "topic": "how your data is shared",
            "asks": ["Does Quillfield share my energy data with third parties?"],
            "steps": [
                ("Review the privacy policy", "Quillfield does not sell your personal data."),
                ("Check connected programs", "Go to Settings > Privacy > Connected programmes."),
                ("Manage installer access", "Installer access can be revoked in your privacy settings."),
                ("Opt out anytime", "You can withdraw from utility programs at any time."),
            ],
        },
    ),
]
