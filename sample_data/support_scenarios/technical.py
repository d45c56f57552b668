"""Technical troubleshooting: connectivity, power, heating, sensors, the battery, the app, updates."""

from support_content import Scenario, by, joint

CAT = "technical_troubleshooting"

BAND_NOTE = {
    "Tempo Lite": "the Tempo Lite only supports 2.4 GHz, so it can't join a 5 GHz-only network.",
    "Tempo 3": "the Tempo 3 supports both bands, but it sometimes sticks to a weak 5 GHz signal - temporarily "
               "splitting the bands helps.",
}
READINGS = [("72°F", "69°F"), ("74 degrees", "70"), ("71°F", "68°F"), ("23°C", "21°C"), ("76", "72"),
            ("70°F", "66°F")]

SCENARIOS = [
    Scenario(
        key="tech/offline_wifi", category=CAT, weight=1.5,
        user=[
            "@offline [My|Our] {thermostat} [shows|keeps showing] offline in the app[ since {weekday}| since we got a new "
            "router| for two days now]. [The thermostat itself still works and holds the temperature.|It still heats "
            "the house fine, I just can't control it from my phone.|] [I've already restarted the router.|I tried "
            "turning it off and on.|]",
            "@e31 [Thermostat won't connect to wifi|Can't get the thermostat back on wifi] after [switching to|installing] "
            "{router}. It says [E31|'Unable to join network'|'Wrong password' (E31)] even though the password is "
            "right.",
            "@offline app says 'Couldn't reach your home' for the {thermostat}[, again| every evening]. [Annoying.|Any idea "
            "why?|]",
        ],
        answer=[
            "@offline {ack_problem} [When the thermostat shows offline but still heats, it's almost always the Wi-Fi link "
            "between it and your router.|An offline thermostat keeps running its schedule; it just can't talk to the "
            "app, so let's reconnect it.] Try this:\n\n1. On the thermostat, press the dial and go to Menu > Settings "
            "> Network.\n2. Choose your network again and re-enter the password (it's case sensitive).\n3. [If you "
            "have a mesh system, make sure the 2.4 GHz band is enabled; {band_note}|If your router combines 2.4 and 5 "
            "GHz under one name, {band_note}]\n\n[Once it's reconnected, the app picks it up within a minute.|It "
            "should show online again within about a minute.]",
            "@e31 [Thanks for the details|Got it]. [E31 means the router rejected the password the thermostat sent.|Error "
            "E31 is a Wi-Fi authentication failure.] [That usually happens when the network name is the same but the "
            "security mode changed - many new routers default to WPA3, and the {thermostat} needs WPA2 or WPA2/WPA3 "
            "mixed mode.|Newer routers often use WPA3-only mode out of the box, which the {thermostat} doesn't "
            "support yet.] [In your router settings, switch security to WPA2/WPA3 (mixed), then reconnect the "
            "thermostat from Menu > Settings > Network.|Change the router's security mode to WPA2/WPA3 transitional "
            "and re-join from Menu > Settings > Network on the thermostat.]",
            "@offline [That usually means the thermostat dropped off Wi-Fi - it keeps heating on its schedule in the "
            "meantime.|The thermostat has lost its Wi-Fi connection; heating continues as normal.] [Restart it from Menu > "
            "Settings > Reset > Restart; if it still shows offline, reconnect under Menu > Settings > Network.|A restart "
            "(Menu > Settings > Reset > Restart) fixes most cases; otherwise rejoin the network from Menu > Settings > "
            "Network.] [Routers that change channel overnight can cause evening dropouts; setting a fixed 2.4 GHz "
            "channel (1, 6 or 11) helps.|If it happens at the same time every day, the router may be switching channels "
            "- fixing the 2.4 GHz channel to 1, 6 or 11 usually stops it.]",
            "@e31 {ack_problem} [E31 is shown when the network rejects the thermostat's password.|The E31 code means the Wi-Fi "
            "password was refused.] [Double-check capital letters and spaces, and if the router has a separate guest "
            "network, make sure you're joining the main one.|Passwords are case sensitive and the on-screen keyboard "
            "hides trailing spaces, so retype it slowly.] [If it still fails, the router is probably set to WPA3-only; "
            "switching it to WPA2/WPA3 mixed lets the thermostat join.|WPA3-only routers also cause E31 - mixed "
            "WPA2/WPA3 mode fixes it.]",
        ],
        vague=["my thermostat isnt working right", "Having issues with the app and the thermostat.",
               "[Can't|Cannot] control the heating from my phone anymore."],
        clarify=["[Sorry to hear that.|Let's sort it out.] [What does the app show for the thermostat - is it listed "
                 "as offline?|Is the thermostat showing as offline in the app, and does its screen show any error "
                 "code?] [And which model do you have?|]"],
        details=["@offline Yes it says offline. [It's a {thermostat}|{thermostat}], screen looks normal. [We changed to "
                 "{router} last week.|Nothing changed on our side as far as I know.]",
                 "@e31 [Offline|It's offline] and the screen shows E31 [when I try to reconnect|after I re-enter the "
                 "password]."],
        retry=["[Did all that|Tried it], still offline.", "Still says offline[ after an hour|]. [I rebooted the router "
               "too.|The router is in the next room, maybe 20 feet away.]"],
        escalate=["[Thanks for trying|Sorry it's still not cooperating]. Two more things: [restart the thermostat from "
                  "Menu > Settings > Reset > Restart, which clears a stuck network session|restart the thermostat "
                  "itself (Menu > Settings > Reset > Restart)], and [check the signal under Menu > Settings > Network > "
                  "Details; anything weaker than -75 dBm is too low, and moving a mesh point closer usually fixes it|"
                  "look at the signal strength under Menu > Settings > Network > Details - if it shows one bar, the "
                  "router or a mesh node needs to be closer]. [If it still won't stay online, reply here with what "
                  "Network > Details shows and I'll check the connection logs on our side.|If none of that helps, send "
                  "me the numbers from Network > Details and I'll dig into the logs.]"],
        slots={"band_note": by("thermostat", BAND_NOTE)},
        synth={
            "topic": "reconnecting your thermostat to Wi-Fi",
            "asks": ["My smart thermostat shows as offline in the app. How can I reconnect it to Wi-Fi?", "My "
                     "Quillfield thermostat will not connect to my new router. What should I do?", "What does error "
                     "E31 mean on my thermostat?"],
            "steps": [
                ("Restart your router", "Unplug your router for 30 seconds and plug it back in."),
                ("Reconnect the thermostat", "Go to Menu > Settings > Network on the thermostat and select your "
                 "network."),
                ("Check your password", "Make sure you are entering the correct Wi-Fi password, [as it is|which is] "
                 "case sensitive."),
                ("Verify the frequency band", "Some thermostats [only support|work only with] 2.4 GHz networks."),
                ("Check the security mode", "Set your router to WPA2 or WPA2/WPA3 mixed mode."),
                ("Move closer to the router", "A weak signal can cause connection issues, so consider a mesh "
                 "extender."),
                ("Restart the thermostat", "Go to Menu > Settings > Reset > Restart."),
            ],
        },
    ),
    Scenario(
        key="tech/no_power_cwire", category=CAT, weight=1.3,
        user=[
            "[My|The] {thermostat} screen [keeps going blank|goes dark every few hours|shows a low power warning] and "
            "[the app says|I see] [E12|'Low power: check C-wire']. [It was fine for the first {weeks}.|We just "
            "installed it {weeks} ago.|It happens mostly when the AC runs.]",
            "E12 on the thermostat. [What does that mean?|How do I fix it?|Do I need an electrician?]",
            "[Thermostat|The {thermostat}] [keeps restarting|reboots randomly] [and the furnace clicks on and off|in "
            "the middle of the night|a few times a day]. [Is it broken?|Defective unit?|]",
            "@new_install [Installed|Just put in] the {thermostat} [myself|yesterday] and [now the screen flashes|it shows a battery icon|it says "
            "'Power low']. [We only have 4 wires.|There's no wire on C.|Did I do something wrong?]",
        ],
        answer=[
            "{ack_problem} [E12 means the thermostat isn't getting steady 24V power.|The E12 code is a power problem: "
            "the thermostat can't get continuous 24V from your system.] [The {thermostat} needs a common wire (C-wire) "
            "for steady power|It's designed to run from a C-wire]; without one it tries to 'borrow' power from the "
            "heating wire, which works in some systems and causes blackouts and restarts in others.\n\n[Here's what "
            "I'd check:|Next steps:]\n1. [Pull the thermostat off its base and see if a wire is connected to the C "
            "terminal.|Look at the base: is there a wire in the C terminal?]\n2. If there is, [check the other end "
            "at the furnace control board is connected to C (sometimes labelled COM)|make sure it's also connected at "
            "the furnace end, on the C or COM terminal].\n3. If there's no C-wire, [the Power Adapter Kit ($24.99) "
            "adds one without running new wire - it installs at the furnace in about 15 minutes|our Power Adapter Kit "
            "($24.99) solves this; the app walks you through it under Devices > {thermostat} > Power help].\n\n[Also "
            "check the furnace door is fully closed; a loose door switch cuts power to the thermostat.|One quick "
            "thing first: make sure the furnace door is shut properly, since its safety switch cuts 24V when it's "
            "ajar.]",
            "[Random restarts|Blank screens and restarts] on the {thermostat} are almost always a power supply issue "
            "(the thermostat logs E12 when it happens). [If you have a C-wire, check it's firmly seated at both ends; "
            "if you don't, the Power Adapter Kit ($24.99) is the fix.|The usual cause is a missing or loose C-wire; "
            "if there isn't one, you'll need the Power Adapter Kit ($24.99).] [You can see the power log under Menu > "
            "Settings > Technical info > Power on the thermostat.|Menu > Settings > Technical info > Power will show "
            "the voltage it's getting - below 22V is too low.] [The unit itself is very unlikely to be faulty.|It "
            "doesn't sound like a defective unit.]",
            "@new_install {ack_question} [A flashing screen or battery icon right after installation almost always means the thermostat "
            "has no C-wire to power it.|That's the thermostat telling you it can't get enough power, which happens when "
            "there's no C-wire.] [With only four wires (usually R, W, Y, G), there's no common wire, so it's "
            "running on its internal battery and will keep dropping out.|Four wires usually means R, W, Y and G and "
            "no C, so it's surviving on battery power.] [The fix is the Power Adapter Kit ($24.99), which connects "
            "at the furnace; the in-app guide under Devices > {thermostat} > Power help takes about 15 minutes.|Our "
            "Power Adapter Kit ($24.99) adds the missing power at the furnace end - no new wire through the walls.] "
            "[If there's an unused wire tucked into the wall behind the thermostat, that can be used as a C-wire "
            "instead.|Sometimes there's a spare wire folded back into the wall; if so, it can serve as the C-wire.]",
        ],
        retry=["[There IS a C wire|I checked and there's a blue wire on C] [and it's connected at the furnace too|at "
               "both ends]. Still getting E12.", "I installed the adapter kit and still get [blank screens|E12] [at "
               "night|sometimes]."],
        escalate=["[Thanks for checking that|That's helpful, thanks]. [If the C-wire is connected at both ends and "
                  "E12 persists, the wire may be broken inside the wall or the transformer is weak.|With a connected "
                  "C-wire, a recurring E12 points to a broken wire in the wall or a tired transformer.] [Go to Menu > "
                  "Settings > Technical info > Power and tell me the voltage reading (Vac) while the heat is running.|"
                  "Could you send me the Vac reading from Menu > Settings > Technical info > Power while the system "
                  "is running?] Anything under 22V means the transformer should be checked by an HVAC technician; if "
                  "it's above 24V, we'll send you a replacement base under warranty."],
        synth={
            "topic": "power issues with your smart thermostat",
            "asks": ["My thermostat screen keeps turning off and shows error E12. What does this mean?", "Why does my "
                     "smart thermostat keep restarting?", "Do I need a C-wire for my Quillfield thermostat?"],
            "steps": [
                ("Check for a C-wire", "Remove the thermostat from its base and look for a wire connected to the C "
                 "terminal."),
                ("Inspect the furnace connection", "Make sure the C-wire is also connected at the furnace control "
                 "board."),
                ("Install a Power Adapter Kit", "If you do not have a C-wire, the Power Adapter Kit can provide "
                 "continuous power."),
                ("Close the furnace door", "A loose furnace door can cut power to the thermostat."),
                ("Check the voltage", "Go to Menu > Settings > Technical info > Power to check the voltage."),
                ("Consult a professional", "If the problem persists, [contact|consult] a licensed HVAC technician."),
            ],
        },
    ),
    Scenario(
        key="tech/no_heat", category=CAT, weight=1.2,
        user=[
            "[The heat won't come on|Heating doesn't turn on|House is freezing]. The {thermostat} says 'Heating' [but "
            "nothing happens at the {hvac}|and shows the flame icon but the {hvac} never starts]. [It's {temp_in} "
            "inside.|We have a baby in the house.|]",
            "[Getting|The thermostat shows] error E73 [this morning|since last night][ and no heat|]. [It's a "
            "{hvac}.|We have a {hvac}.]",
            "no heat!! thermostat says heating but [nothing is coming out of the vents|the radiators are cold]. "
            "[{temp_in} in here|help]",
        ],
        answer=[
            "{ack_problem} [E73 means the thermostat is calling for heat but the equipment isn't responding.|E73 is "
            "shown when the thermostat sends a call for heat but doesn't see the system start.] [Let's rule out the "
            "simple things first:|A few checks:]\n\n1. [Make sure the {hvac}'s power switch (it looks like a light "
            "switch near the unit) is on and the breaker hasn't tripped.|Check the power switch next to the {hvac} and "
            "the breaker in your panel.]\n2. [Check the filter - a very clogged filter can make the furnace shut itself "
            "off.|If the filter hasn't been changed in a few months, replace it; a blocked filter trips the furnace's "
            "safety limit.]\n3. [On the thermostat, go to Menu > Equipment and confirm the heating type matches your "
            "system.|In Menu > Equipment, check the system type is set to {hvac}.]\n4. [Heat pumps have a 5-minute "
            "compressor protection delay after any change, so wait 5 minutes before testing again.|After changing "
            "anything, wait 5 minutes: compressor protection delays the restart.]\n\n[If it still doesn't start, "
            "please turn the system off at the thermostat and let me know - I'll help you test the wiring.|If none of "
            "this brings the heat back, reply and we'll test the wires directly.]",
            "{ack_problem} [When the thermostat says Heating but the {hvac} stays off, the call for heat isn't "
            "reaching it.|The thermostat is asking for heat, but the {hvac} isn't answering.] [First check the "
            "obvious: the service switch by the unit, the breaker, and (for a furnace) that the front panel is "
            "closed.|Please check the unit's power switch and breaker first.] [Then look at Menu > Equipment on the "
            "thermostat - if the system type there doesn't match your {hvac}, it sends the wrong signal.|A "
            "mismatched system type under Menu > Equipment is the next most common cause.] [If you smell gas at any "
            "point, leave the house and call your gas company.|]",
        ],
        retry=["[Switch is on, filter is new|Breaker and switch are fine], equipment setting says {hvac}. Still "
               "[E73|no heat]."],
        escalate=["[Thanks for checking all that.|OK, that rules out the easy stuff.] [Let's test the wiring directly: "
                  "turn the system off at the breaker, remove the thermostat, twist the R (or Rh) and W1 wires "
                  "together, then restore power.|The next test bypasses the thermostat: with power off, take the "
                  "thermostat off the wall, twist the R and W1 wires together, then turn the power back on.] [If the "
                  "{hvac} starts, the thermostat or its base is at fault and we'll replace it under warranty; if it "
                  "doesn't, the problem is in the heating system and you'll need an HVAC technician.|If the heat "
                  "starts with the wires joined, we'll send a replacement; if not, the fault is in the equipment and "
                  "an HVAC technician should take a look.] [Only do this if you're comfortable with it - otherwise a "
                  "technician can do the same test in a few minutes.|]"],
        slots={"temp_in": ["58°F", "60 degrees", "61°F", "57F", "14°C", "59"]},
        synth={
            "topic": "heating that does not turn on",
            "asks": ["My thermostat says it is heating, but my furnace is not turning on. What should I do?", "What "
                     "does error E73 mean on my thermostat?"],
            "steps": [
                ("Check the power switch", "Make sure the power switch near your heating system is turned on."),
                ("Inspect the breaker", "Verify that the circuit breaker for your HVAC system has not tripped."),
                ("Replace the air filter", "A clogged filter can cause your furnace to shut down."),
                ("Verify thermostat settings", "Go to Menu > Equipment and confirm the system type is correct."),
                ("Wait a few minutes", "Some systems have a built-in delay of up to 5 minutes."),
                ("Contact a technician", "If the issue persists, [contact|call] a licensed HVAC professional."),
            ],
        },
    ),
    Scenario(
        key="tech/temperature_wrong", category=CAT,
        user=[
            "The {thermostat} says it's {shown} but my [other thermometer|old thermostat|kitchen thermometer] says "
            "{actual}. [Which one is right?|Can I calibrate it?|This means it's always too cold.]",
            "Temperature reading is [off by|about] [2|3|4] degrees [in the afternoon|when the sun comes in|all the "
            "time]. [Is my unit faulty?|Anything I can do?|Kind of annoying.]",
            "[Is the temperature sensor on the {thermostat} accurate?|How accurate is the {thermostat} sensor?] Mine reads "
            "{shown} [when the room feels more like|and a separate thermometer shows] {actual}.",
            "[Our|The] {thermostat} [thinks|says] it's {shown} [in the living room|downstairs] but [we're all wearing sweaters|it feels "
            "cold]. [A cheap thermometer on the shelf says {actual}.|My phone's weather station says {actual}.]",
        ],
        answer=[
            "{ack_question} [Small differences between thermometers are normal, but a steady offset usually comes "
            "from where the thermostat is mounted|A consistent difference is almost always about placement rather than "
            "a faulty sensor]: [direct sunlight, a nearby lamp or TV, or a draft from inside the wall can all push the "
            "reading up|sun on the screen in the afternoon, a lamp below it, or warm air coming through the wall "
            "opening will skew it].\n\n[To correct it, go to Menu > Settings > Sensors > Temperature offset on the "
            "thermostat and set the difference (up to 5 degrees either way).|You can calibrate it: Menu > Settings > "
            "Sensors > Temperature offset lets you adjust the reading by up to 5 degrees either way.] [If you have "
            "Sense room sensors, you can also have the thermostat average several rooms under Devices > Sensors > "
            "Averaging.|A Sense sensor in the room you care about is another option - the thermostat can follow that "
            "room instead.] [Also worth sealing the hole behind the base with a little putty if there's a draft.|If "
            "you feel a draft from the wire hole behind the base, seal it with some putty.|]",
            "[A reading of {shown} against {actual} is a bigger gap than the sensor tolerance (about 1 degree), so something "
            "near the thermostat is probably warming it.|The sensor itself is accurate to about 1 degree, so a gap like "
            "{shown} vs {actual} usually means it's picking up heat from something nearby.] [Common culprits are afternoon "
            "sun, a lamp or TV underneath, or warm air coming out of the wall cavity behind it.|Look for sun on the "
            "display, electronics below it, or a draft from the hole behind the base.] [Once you've ruled those out, set "
            "a correction under Menu > Settings > Sensors > Temperature offset.|After that, you can dial in the "
            "difference under Menu > Settings > Sensors > Temperature offset.]",
        ],
        retry=["Offset helps but it's still way off in the afternoon when the sun hits it."],
        escalate=["[That's the sun, then.|Sounds like direct sunlight.] [The easiest fix is a Sense sensor in a shaded "
                  "spot in the same room and setting the thermostat to follow it (Devices > Sensors > Follow this "
                  "room).|Either move the thermostat to a shaded wall or add a Sense sensor and make it the primary "
                  "sensor under Devices > Sensors.] [If the reading is still more than 5 degrees off at night with no "
                  "sun, we'll replace it under warranty.|If it's off by more than 5 degrees with no sun at all, let me "
                  "know and we'll treat it as a sensor fault (E47) under warranty.]"],
        slots={"shown": joint("reading", 0, READINGS), "actual": joint("reading", 1, READINGS)},
        synth={
            "topic": "inaccurate temperature readings",
            "asks": ["My thermostat shows a different temperature than my other thermometer. How can I fix this?",
                     "Can I calibrate the temperature reading on my Quillfield thermostat?"],
            "steps": [
                ("Check the placement", "Make sure the thermostat is not in direct sunlight or near a heat source."),
                ("Adjust the offset", "Go to Menu > Settings > Sensors > Temperature offset to calibrate the "
                 "reading."),
                ("Seal drafts", "Seal any gaps behind the thermostat base that could let in air."),
                ("Add a room sensor", "A Sense room sensor can provide a more accurate reading for a specific room."),
                ("Compare readings", "Use a reliable thermometer [placed|positioned] next to the thermostat for "
                 "comparison."),
            ],
        },
    ),
    Scenario(
        key="tech/sensor_pairing", category=CAT,
        user=[
            "@pair [I can't get|Can't get] my [new|second|third] Sense sensor to pair with the {thermostat}. [The light just "
            "blinks white.|The app keeps searching and then times out.|It says 'sensor not found'.]",
            "@dropout [One of my Sense sensors|The bedroom sensor|The nursery sensor] [stopped reporting|shows 'no data'|went "
            "offline] [after I changed the battery|yesterday|a week ago].",
        ],
        answer=[
            "@pair {ack_problem} [Let's re-pair it:|Here's how to pair it:]\n1. [Pull out the plastic battery tab (or check "
            "the CR2032 battery is seated with + facing up).|Make sure the battery tab is removed and the CR2032 "
            "battery is in with the + side up.]\n2. [Hold the sensor within 10 feet (3 m) of the thermostat for "
            "pairing; you can move it afterwards.|Bring it close to the thermostat - within about 10 feet - while "
            "pairing.]\n3. In the app, go to Devices > {thermostat} > Sensors > Add sensor.\n4. [Press and hold the "
            "button on the sensor for 5 seconds until the light blinks blue.|Hold the sensor button for 5 seconds "
            "until the LED turns blue.]\n\n[Each thermostat supports up to 6 sensors.|You can have up to six sensors "
            "per thermostat.] [If the light stays white, the sensor is still paired to another thermostat; hold the "
            "button for 15 seconds to reset it first.|A white light means it's remembering an old pairing - a "
            "15-second hold resets it.]",
            "@dropout [A sensor dropping out after a battery change usually just needs a reset|That usually means it lost its "
            "pairing]: hold the button for 15 seconds until the light flashes red, then add it again from Devices > "
            "{thermostat} > Sensors > Add sensor. [If the battery was replaced with a rechargeable LIR2032, swap it "
            "for a regular CR2032 - the voltage is too high.|Use a standard CR2032 (not a rechargeable LIR2032, which "
            "the sensor doesn't support).] [Sensors reach about 50 feet through walls; a sensor in a detached garage "
            "or behind a fridge may be out of range.|Range is roughly 50 feet indoors, less through brick or metal.]",
            "@pair {ack_problem} [When pairing times out, it's almost always distance or an old pairing.|Timeouts usually come "
            "down to range or a sensor that's still paired elsewhere.] [Bring the sensor right next to the thermostat, "
            "hold its button for 15 seconds to clear any old pairing (the light flashes red), then start again from "
            "Devices > {thermostat} > Sensors > Add sensor and hold the button for 5 seconds until it blinks blue.|Reset "
            "it with a 15-second button hold, then add it from Devices > {thermostat} > Sensors > Add sensor while "
            "standing next to the thermostat.] [Once paired you can put it anywhere within about 50 feet.|After pairing, "
            "it works up to roughly 50 feet away.]",
            "@dropout [Thanks for letting us know.|Sorry about that.] [Check the battery first: open Devices > {thermostat} > "
            "Sensors and tap the sensor to see its battery level and last check-in.|The sensor's page in the app "
            "(Devices > {thermostat} > Sensors) shows its battery and when it last reported.] [If the battery is fine, "
            "press its button once - a green blink means it's still paired and just out of range; a red blink means it "
            "needs re-pairing.|A single press tells you what's wrong: green means paired but out of range, red means "
            "it's lost its pairing.] [Moving it a few feet, away from metal or the fridge, usually brings it back.|]",
        ],
        synth={
            "topic": "pairing a Sense room sensor",
            "asks": ["How do I pair a new Sense room sensor with my thermostat?", "My room sensor stopped working. "
                     "How can I fix it?"],
            "steps": [
                ("Check the battery", "Make sure the battery tab has been removed and the battery is inserted "
                 "correctly."),
                ("Move closer", "Place the sensor within 10 feet of the thermostat during pairing."),
                ("Open the app", "Go to Devices > Sensors > Add sensor in the Quillfield app."),
                ("Press the button", "Hold the button on the sensor for 5 seconds until the light blinks blue."),
                ("Reset the sensor", "If pairing fails, hold the button for 15 seconds to reset the sensor."),
                ("Replace the battery", "Use a standard CR2032 coin cell battery."),
            ],
        },
    ),
    Scenario(
        key="tech/battery_not_charging", category=CAT,
        user=[
            "@reserve My {battery} [isn't charging from the solar|stays at {soc}% all day] even though [it's sunny|the panels "
            "are producing {kw} kW]. [Mode is set to self-powered.|I haven't changed any settings.|]",
            "@v201 Vault shows [V-201|a grid sync fault (V-201)] and [isn't charging|won't discharge in the evening]. "
            "[What do I do?|Should I be worried?]",
            "@reserve Why does my battery [sit at {soc}%|never go below {soc}%|stop discharging at {soc}%] [every night|in the "
            "evening]?",
        ],
        answer=[
            "@reserve {ack_question} [It sounds like the backup reserve is doing its job.|That's usually the backup reserve "
            "setting.] The {battery} keeps a reserve for outages [(20% by default)|- 20% unless you change it] and "
            "won't discharge below it; [in Backup only mode it also won't charge from solar beyond that reserve.|if "
            "it's in Backup only mode, it charges only to keep that reserve topped up.] [Check Energy > Vault > "
            "Operating mode and Energy > Vault > Backup reserve in the app.|You can see and change both under Energy > "
            "Vault in the app: Operating mode and Backup reserve.] [If you want the most solar self-consumption, "
            "choose Self-powered and a reserve of 10-20%.|For maximum use of your solar, Self-powered mode with a "
            "10-20% reserve works well.]",
            "@v201 {ack_problem} [V-201 means the battery lost synchronisation with the grid, usually after a voltage dip "
            "from the utility.|V-201 is a grid sync fault; it's typically triggered by a brief disturbance on the "
            "grid.] [It clears itself within 30 minutes in most cases.|Most of the time it resets on its own within "
            "half an hour.] [If it doesn't, check that the Gateway's breaker is on, then restart the system from "
            "Energy > Vault > Restart (this takes about 5 minutes and doesn't affect your backup circuits).|If it's "
            "still there, restart it from Energy > Vault > Restart - the house stays powered from the grid while it "
            "reboots.] [There's no safety risk; the battery simply pauses until it resyncs.|It's not a safety issue - "
            "the battery just pauses itself.]",
        ],
        retry=["@v201 Restarted it [twice|three times], V-201 comes back within an hour."],
        escalate=["@v201 [Thanks for trying that.|OK, a recurring V-201 needs a closer look.] [I've opened a service case and "
                  "asked our battery team to pull the Gateway logs remotely; if they see a hardware fault they'll "
                  "schedule your installer to visit at no cost.|I've escalated this to the battery team - they'll "
                  "check the logs remotely within 1 business day and book a site visit if needed (covered by your "
                  "warranty).] [In the meantime your house runs on the grid as normal.|Your home stays on grid power "
                  "in the meantime.]"],
        slots={"soc": ["20", "30", "35", "25", "40"], "kw": ["4.2", "5.1", "3.8", "6", "4.7"]},
        synth={
            "topic": "a home battery that is not charging",
            "asks": ["My Vault battery is not charging from my solar panels. What could be the problem?", "What does "
                     "error V-201 mean on my home battery?"],
            "steps": [
                ("Check the operating mode", "Go to Energy > Vault > Operating mode and make sure it is set "
                 "correctly."),
                ("Review the backup reserve", "The battery will not discharge below the reserve level you set."),
                ("Restart the system", "Use Energy > Vault > Restart to restart the battery."),
                ("Check the breaker", "Make sure the Gateway breaker is switched on."),
                ("Update the firmware", "Keep your battery firmware up to date for the best performance."),
                ("Contact support", "If the error persists, support can review the system logs remotely."),
            ],
        },
    ),
    Scenario(
        key="tech/outage_backup", category=CAT,
        user=[
            "@dark [We had a power cut|The power went out] [last night|yesterday afternoon|during the storm] and the "
            "{battery} [didn't kick in|didn't power the house|only powered some rooms]. [Isn't that the whole "
            "point?|The lights flickered and then went off.|What happened?]",
            "@blink During the outage [the house went dark for a second|everything blinked off] before the battery took "
            "over. Is that normal?[ My desktop PC rebooted.|]",
            "@v422 [The Gateway|Gateway] has a red light and the app says V-422[ since the outage|].",
        ],
        answer=[
            "@dark {ack_problem} [The {battery} only powers the circuits your installer connected to the backup panel|During "
            "an outage, the battery supplies only the backed-up circuits chosen at install], [typically the fridge, "
            "lights, outlets and Wi-Fi - big loads like central AC, an EV charger or an electric range usually aren't "
            "on it|so things like central AC, EV chargers or an electric oven are usually left off]. [You can see which "
            "circuits are backed up under Energy > Vault > Backup circuits.|Energy > Vault > Backup circuits in the "
            "app lists them.]\n\n[If nothing at all was powered, check whether the battery was already down to its "
            "reserve before the outage (Energy > Vault > History).|If the whole house went dark, the battery may have "
            "been at its reserve - the History tab under Energy > Vault will show the state of charge at the time.] "
            "[Turning on Storm Watch makes the battery charge to 100% when a weather alert is issued for your area.|"
            "Storm Watch (free, under Energy > Vault > Storm Watch) charges it to 100% ahead of severe weather "
            "alerts.]",
            "@blink [A blink is normal|A short blink when the grid drops is expected]. The Gateway switches to battery in "
            "under 100 milliseconds, which most devices ride through, but [some LED lights and older clocks|a few "
            "sensitive devices like some LED bulbs or microwaves with clocks] can blink or reset. [If computers are "
            "rebooting, a small UPS for them is the usual fix.|For a desktop computer, a small UPS smooths over that "
            "gap.]",
            "@v422 {ack_problem} [V-422 means the battery and Gateway stopped talking to each other.|V-422 is a "
            "communication fault between the Gateway and the battery.] [Please check that the Gateway's breaker in "
            "the main panel is on, then power-cycle the Gateway by switching that breaker off for 30 seconds.|Switch "
            "the Gateway breaker off for 30 seconds and back on.] [If the light turns green within 5 minutes, you're "
            "all set.|The light should go green within about 5 minutes.] If it stays red, [reply here and we'll book "
            "your installer - the visit is covered by warranty|let me know and I'll arrange a service visit under "
            "warranty].",
        ],
        synth={
            "topic": "backup power during an outage",
            "asks": ["My home battery did not power my house during a power outage. Why?", "Is it normal for the "
                     "lights to flicker when my battery switches to backup power?"],
            "steps": [
                ("Check backup circuits", "Only circuits connected to the backup panel are powered during an "
                 "outage."),
                ("Review the state of charge", "Check Energy > Vault > History to see the battery level at the time "
                 "of the outage."),
                ("Enable Storm Watch", "Storm Watch charges your battery to 100% before severe weather."),
                ("Inspect the Gateway", "Make sure the Gateway light is green and its breaker is on."),
                ("Use a UPS", "Sensitive electronics may benefit from an uninterruptible power supply."),
            ],
        },
    ),
    Scenario(
        key="tech/app_crash", category=CAT, weight=1.1,
        user=[
            "@crash [The app|Quillfield app] [crashes|closes] [as soon as I open it|right after the splash screen|when I tap "
            "Energy] since [the last update|updating to {app_version}]. [{phone_model}|I'm on {phone_model}][, latest "
            "iOS|, Android 14|].",
            "@white App [won't load|stuck on loading|is just a white screen]. [Tried reinstalling.|Deleted and reinstalled "
            "twice.|]",
            "@widget [The widget|The app widget] on my {phone_model} [stopped updating|shows old temperatures].",
        ],
        answer=[
            "@crash {ack_problem} [There's a known crash in version {app_version} on some devices when opening the Energy "
            "tab|We've seen crashes in {app_version} on some phones]; [a fix is rolling out in the next update "
            "(expected within a week)|the fix is already in review with the app stores].\n\n[In the meantime:|Until "
            "then, this usually helps:]\n1. [Force close the app and restart your phone.|Close the app completely and "
            "restart the phone.]\n2. [On Android, clear the app cache: Settings > Apps > Quillfield > Storage > Clear "
            "cache.|If you're on Android, clear the cache (Settings > Apps > Quillfield > Storage > Clear cache); on "
            "iPhone, offloading the app (Settings > General > iPhone Storage > Quillfield > Offload) does the same.]"
            "\n3. [Your thermostat keeps running its schedule regardless, and you can still adjust it on the device "
            "itself.|The thermostat isn't affected - it carries on with its schedule, and the dial still works.]",
            "@white [Sorry about that.|That's not right - sorry.] [A white screen on launch usually means the app can't "
            "finish signing you in.|If it's stuck on loading, it's usually a stale sign-in session.] [Try switching "
            "between Wi-Fi and mobile data, and check the date and time on your phone are set automatically - a wrong "
            "clock breaks the secure connection.|Please check that your phone's date and time are automatic and try "
            "on mobile data instead of Wi-Fi.] [If that doesn't help, sign out from another device under Account > "
            "Security > Devices, or reply here and I'll reset your session from our side.|If it's still stuck, I can "
            "reset your session on our end - just reply here.]",
            "@widget [Widgets refresh at most every 15 minutes because of phone battery rules|The phone limits how often "
            "widgets update (about every 15 minutes)]. [If it's stuck for hours, remove the widget and add it again, "
            "and make sure background app refresh is on for Quillfield.|If it's showing hours-old data, re-add the "
            "widget and allow background refresh for the app.]",
        ],
        synth={
            "topic": "the Quillfield app crashing",
            "asks": ["The Quillfield app keeps crashing on my phone. How can I fix it?", "The app is stuck on a white "
                     "loading screen. What should I do?"],
            "steps": [
                ("Update the app", "Make sure you have the latest version of the app installed."),
                ("Restart your phone", "Close the app completely and restart your device."),
                ("Clear the cache", "On Android, go to Settings > Apps > Quillfield > Storage > Clear cache."),
                ("Reinstall the app", "Delete the app and reinstall it from the app store."),
                ("Check your date and time", "Make sure your phone's date and time are set automatically."),
                ("Switch networks", "Try using mobile data instead of Wi-Fi."),
            ],
        },
    ),
    Scenario(
        key="tech/schedule_ignored", category=CAT,
        user=[
            "{cause_user}",
            "{cause_user}",
            "The {thermostat} [isn't following my schedule|ignores the schedule|keeps changing the temperature on its "
            "own]. [I set {night_temp} at night and it goes lower.|Every morning it's colder than I set it.|It does "
            "its own thing some days.]",
        ],
        answer=[
            "{ack_question} {cause_answer}\n\n[If that doesn't match what you see, the other things that override a "
            "schedule are a temporary hold, Eco mode and Smart Shift - the bottom line of the thermostat screen says "
            "which one is active.|For completeness: a hold, Eco mode and Smart Shift can all override the schedule, "
            "and the thermostat screen shows which one is in charge at the moment.|]",
            "{cause_answer} [Let me know if it keeps happening after that.|If it still drifts from the schedule, "
            "reply with a photo of the thermostat screen and I'll take a look.|]",
        ],
        slots={
            "cause": ["hold", "eco", "smart_shift", "time_zone"],
            "night_temp": ["68", "66", "67", "19 degrees", "70"],
            "cause_user": by("cause", {
                "hold": "The {thermostat} [is stuck on|keeps showing] 'Hold until [9 PM|7 AM|further notice]' and "
                        "[won't go back to the schedule|ignores my schedule]. [How do I get rid of it?|Why?|]",
                "eco": "[Every afternoon|Whenever one of us goes out|Some days] the thermostat [switches to Eco|drops "
                       "the temperature] even though [my husband works from home|someone is home|the kids are "
                       "home]. [Why does it think we're away?|Really annoying.|]",
                "smart_shift": "[Since I got Plus,|Lately] the thermostat [heats the house at 3am|pre-cools the house "
                               "in the afternoon|goes up 2-3 degrees before my schedule says]. [Is it broken?|Why is "
                               "it doing that?|Can I stop this?]",
                "time_zone": "My schedule [runs an hour late|is off by an hour|starts at the wrong time] [since the "
                             "clocks changed|since we moved|ever since setup]. [The times in the app look right.|]",
            }),
            "cause_answer": by("cause", {
                "hold": "[A hold is set whenever someone turns the dial or changes the temperature in the app; it lasts "
                        "until the next schedule change, or until the time shown.|Turning the dial or changing the "
                        "temperature in the app creates a hold that keeps that temperature until the time on the "
                        "screen.] [Tap Resume schedule on the thermostat or in the app to end it.|To clear it, tap "
                        "Resume schedule.] [If holds keep lasting too long, change Settings > Schedule > Hold length "
                        "to 'Until next change'.|You can shorten holds under Settings > Schedule > Hold length.]",
                "eco": "[Eco mode switches on when every phone in the household has left home, so one phone that "
                       "doesn't share its location makes the thermostat think the house is empty.|That's Eco mode: "
                       "it uses phone location, and if someone's phone isn't sharing location 'Always', the house "
                       "looks empty.] [Check that each member's phone has location set to 'Always' for the Quillfield "
                       "app, or turn on the thermostat's occupancy sensor under Settings > Eco > Use motion.|Ask "
                       "everyone to allow location 'Always' for the app, or let the built-in motion sensor confirm "
                       "that someone's home (Settings > Eco > Use motion).]",
                "smart_shift": "[That's Smart Shift, part of Plus: it pre-heats or pre-cools by up to 3 degrees before "
                               "your utility's peak-rate hours so the system can rest during them.|What you're seeing "
                               "is Smart Shift moving heating or cooling out of peak-price hours, by up to 3 degrees.] "
                               "[You can narrow the range to 1 degree or switch it off in Settings > Smart Shift.|It "
                               "can be limited to 1 degree or turned off under Settings > Smart Shift.]",
                "time_zone": "[An hour's offset is almost always the time zone setting rather than the schedule "
                             "itself.|When a schedule runs an hour out, the home's time zone is usually wrong.] [Go to "
                             "Settings > Home > Time zone and make sure it matches your location and that 'Adjust for "
                             "daylight saving' is on.|Check Settings > Home > Time zone, including the daylight saving "
                             "switch.] [The thermostat picks up the change within a few minutes.|It updates within a "
                             "few minutes.]",
            }),
        },
        synth={
            "topic": "a thermostat that does not follow its schedule",
            "asks": ["Why is my thermostat not following the schedule I set?", "My thermostat changes the temperature "
                     "on its own. How do I stop this?"],
            "steps": [
                ("Check for a hold", "A temporary hold overrides your schedule until you resume it."),
                ("Review Eco mode", "Eco mode activates when everyone is away from home."),
                ("Check Smart Shift", "Smart Shift may adjust the temperature to avoid peak energy rates."),
                ("Verify the time zone", "Go to Settings > Home > Time zone to make sure it is correct."),
                ("Review your schedule", "Open the schedule in the app and confirm the times and temperatures."),
            ],
        },
    ),
    Scenario(
        key="tech/firmware_stuck", category=CAT, weight=0.8,
        user=[
            "@stuck [The thermostat|My {thermostat}] has been [stuck on|showing] 'Updating... {pct}%' for [over an hour|2 "
            "hours|most of the morning]. [Should I unplug it?|Is it bricked?|The heat still works though.]",
            "@failed Firmware update to {fw} [failed|keeps failing] on my {thermostat}[, it says 'Update failed, will retry'|].",
        ],
        answer=[
            "@stuck {ack_problem} [Please don't remove it from the wall yet.|Don't take it off the base for now.] [Updates "
            "can stall if the Wi-Fi connection drops partway through; the thermostat keeps the previous firmware until "
            "the new one is verified, so it can't be 'bricked' by a stuck update.|The thermostat keeps the old "
            "firmware until the new one is fully checked, so a stuck update is safe.] [Give it 30 more minutes; if "
            "it's still stuck, hold the dial down for 10 seconds to restart it, and it'll retry the download.|If it's "
            "still stuck after another 30 minutes, restart it by pressing and holding the dial for 10 seconds.] [Your "
            "heating keeps working during all of this.|Heating and cooling continue to work throughout.]",
            "@failed [Thanks for letting us know.|Sorry about that.] [A failed update to {fw} usually means the download was "
            "interrupted.|{fw} failing to install is usually a weak Wi-Fi signal during the download.] [It retries "
            "automatically every 6 hours, so often it goes through overnight.|It will retry on its own every 6 "
            "hours.] [To help it along, check the signal under Menu > Settings > Network > Details, and restart the "
            "router if it's weak.|Check Menu > Settings > Network > Details for signal strength; if it's low, moving "
            "the router or a mesh point closer helps.] [You can also start it manually from Menu > Settings > "
            "Software > Check for update.|Or start it yourself: Menu > Settings > Software > Check for update.]",
        ],
        slots={"pct": ["34", "60", "87", "12", "99", "45"]},
        synth={
            "topic": "a firmware update that is stuck",
            "asks": ["My thermostat firmware update is stuck. What should I do?", "The firmware update on my "
                     "thermostat keeps failing. How can I fix it?"],
            "steps": [
                ("Wait patiently", "Updates can take up to 30 minutes to complete."),
                ("Do not unplug", "Avoid removing the thermostat from its base during an update."),
                ("Restart the thermostat", "Hold the dial for 10 seconds to restart the device."),
                ("Check your Wi-Fi signal", "A weak signal can interrupt the download."),
                ("Retry the update", "Go to Menu > Settings > Software > Check for update."),
            ],
        },
    ),
    Scenario(
        key="tech/energy_report", category=CAT, weight=0.8,
        user=[
            "@usage My energy [report|dashboard] [shows zero usage for {weekday}|says I used {kwh} kWh yesterday|has a huge "
            "spike on {weekday}] [which can't be right|but my utility bill says otherwise|]. [Is the meter broken?|"
            "Where does this data come from?|]",
            "@solar [The|My] solar production in the app [is negative|shows as consumption|looks backwards] since the "
            "{battery} was installed.",
        ],
        answer=[
            "@usage {ack_question} [The energy dashboard uses two sources: the thermostat's own runtime estimate, and your "
            "utility's meter data if you connected your utility account (Energy > Utility).|Usage in the app comes "
            "from your utility's smart meter data when your utility account is linked, otherwise it's estimated from "
            "thermostat runtime.] [Utility data arrives with a 24-48 hour delay, and a day can show zero until it's "
            "filled in.|Utilities send meter data a day or two late, so the most recent days can look empty or odd.] "
            "[If a day still looks wrong after 48 hours, reconnect your utility under Energy > Utility > Reconnect - "
            "the link expires every 12 months.|If it's wrong after 48 hours, relink the utility (Energy > Utility > "
            "Reconnect); links expire yearly.]",
            "@solar {ack_problem} [Negative solar readings after a battery install almost always mean one of the current "
            "sensors (CT clamps) is installed facing the wrong way.|When solar shows as consumption, a CT clamp at the "
            "Gateway is usually reversed.] [It doesn't affect how the system works, only what the app displays, but "
            "your installer should flip it - it's a 10-minute visit.|It's a display problem rather than a system "
            "fault; the installer can fix it in a short visit.] [I've added a note for your installer; they'll "
            "contact you within 2 business days to schedule it.|I've flagged it for your installer, who'll reach out "
            "within two business days.]",
        ],
        slots={"kwh": ["0", "312", "146", "2", "98"]},
        synth={
            "topic": "incorrect energy usage data",
            "asks": ["My energy report shows zero usage for yesterday. Is something wrong?", "Why does my solar "
                     "production show as negative in the app?"],
            "steps": [
                ("Wait for data to sync", "Utility data can take 24-48 hours to appear in the app."),
                ("Reconnect your utility", "Go to Energy > Utility > Reconnect if your data is missing."),
                ("Check the CT clamps", "Incorrectly installed current sensors can cause negative readings."),
                ("Contact your installer", "Your installer can correct sensor placement issues."),
                ("Review the dashboard", "Compare the app data with your utility bill for accuracy."),
            ],
        },
    ),
]
