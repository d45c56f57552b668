"""Shipping and returns, and installation: getting the hardware to the house and onto the wall."""

from support_content import Scenario, joint

SHIP = "shipping_returns"
INSTALL = "installation"

SWAPS = [("Tempo 3", "Tempo Lite"), ("Tempo Lite", "Tempo 3"), ("Sense 2-pack", "single Sense sensor"),
         ("Power Adapter Kit", "Sense sensor"), ("white Tempo 3", "black Tempo 3")]



def _address_outcome(t):
    if "address" in t.cache:  # the customer gave the new address
        return "[I've updated it to {address}|Done: it will now ship to {address}] - the confirmation email will show the change."
    return "[Just reply with the full new address and I'll update it before it ships.|Send me the new address and I'll change it right away.]"


SHIPPING = [
    Scenario(
        key="shipping/where_is_order", category=SHIP, weight=1.4,
        user=[
            "@late [Where is my order?|My order still hasn't arrived.] [It's been {n_days} days.|Tracking hasn't updated "
            "since {weekday}.|The tracking link says 'label created' and nothing since.] [I ordered {order_items}.|]",
            "@missing Tracking says delivered but [there's no package|nothing is here|I checked with the neighbours]. [{carrier} "
            "says it was left at the front door.|]",
            "@when when will my {thermostat} ship[?|]",
        ],
        answer=[
            "@late {ack_problem} [Orders ship within 1-2 business days, and standard delivery takes 3-5 business days after "
            "that.|We ship within 1-2 business days; standard shipping is 3-5 business days from then.] [Tracking "
            "sometimes shows 'label created' for up to 24 hours until {carrier} scans the box at their facility.|"
            "{carrier} doesn't update tracking until they scan the package, which can take up to a day after the "
            "label is printed.] [I've checked and it's moving - the current estimate is {weekday}.|It's in transit "
            "now with an estimated delivery of {weekday}.] [If it hasn't arrived 5 business days after the estimated "
            "date, we'll send a replacement or refund it, whichever you prefer.|If it's more than 5 business days past "
            "the estimate, we treat it as lost and reship it free.]",
            "@missing {ack_problem} [When tracking says delivered but nothing's there, it turns up within 48 hours about half "
            "the time - carriers sometimes mark packages delivered early or leave them at a side door or with a "
            "neighbour.|Packages marked delivered often turn up within 2 days (left with a neighbour, at a side door, "
            "or scanned early).] [If it's still missing after 48 hours, reply here and I'll file a claim with "
            "{carrier} and send a replacement right away - you won't need to wait for their investigation.|If it "
            "hasn't appeared in 48 hours, let me know and I'll reship it while we open a claim with {carrier}.]",
            "@when [Orders placed before 2pm Eastern ship the same business day; after that, the next business day.|We ship "
            "within 1-2 business days.] [You'll get an email with a tracking link when it leaves our warehouse in Reno "
            "or Columbus.|A tracking email goes out when it leaves the warehouse.] [Standard shipping is free and "
            "takes 3-5 business days; express is $14.95 for 1-2 business days.|Standard (free) is 3-5 business days, "
            "express ($14.95) is 1-2.]",
        ],
        retry=["@late [It's been 2 more days|Still nothing after the weekend] and [no package|tracking hasn't moved].",
               "@missing [Still no sign of it.|Two days later and still nothing.] [Neighbours haven't seen it either.|]"],
        escalate=["[Thanks for your patience - that's long enough.|Sorry, that's too long.] [I've sent a replacement "
                  "by express shipping at no cost and opened a claim with {carrier} for the original.|A replacement "
                  "is on its way by express, free of charge, and I've filed a claim for the lost one.] [If the first "
                  "package turns up later, just send it back with the prepaid label in your email.|If the original "
                  "arrives after all, please return it with the free label we emailed.]"],
        slots={"order_items": ["a {thermostat} and two Sense sensors", "the Power Adapter Kit", "a {thermostat}",
                               "three Sense sensors", "a trim plate and a Sense sensor"]},
        synth={
            "topic": "tracking your order",
            "asks": ["My order has not arrived yet. How can I check its status?", "My tracking says delivered, but I "
                     "did not receive my package. What should I do?"],
            "steps": [
                ("Check your tracking link", "Use the tracking link in your shipping confirmation email."),
                ("Allow processing time", "Orders typically ship within 1-2 business days."),
                ("Check around your home", "Packages are sometimes left at a side door or with a neighbor."),
                ("Wait 48 hours", "Packages marked as delivered often arrive within 2 days."),
                ("Contact support", "If your package is still missing, support can send a replacement."),
            ],
        },
    ),
    Scenario(
        key="shipping/return", category=SHIP, weight=1.2,
        user=[
            "I'd like to return [my|the] {thermostat}[ - it doesn't work with my {hvac}| - we decided to go with "
            "something else| - it's just not for us|]. [How do I do that?|Do I pay for shipping?|I already installed "
            "it, is that ok?]",
            "[Can I still return|Is it too late to return] the {thermostat}? [I bought it {n_days} days ago.|It was "
            "delivered {n_days} days ago.|] [I threw away the box.|I don't have the original packaging.|]",
        ],
        answer=[
            "{ack_question} [You can return any device within 30 days of delivery, even if it's been installed.|"
            "Returns are accepted within 30 days of delivery, opened or installed.] [Start it under Account > Orders > "
            "Return item in the app or on the website; you'll get a free prepaid label by email.|Go to Account > "
            "Orders, pick the item and choose Return - a prepaid label is emailed to you.]\n\n[Please include the base "
            "and screws if you still have them.|Pack the thermostat with its base and trim plate.] [The original box "
            "isn't required; any sturdy box works.|No original packaging? Any box that protects it is fine.] [Refunds "
            "go to the original payment method 5-7 business days after the warehouse receives it.|We refund within 5-7 "
            "business days of receiving it, to the way you paid.] [If you paid for Pro installation, that fee isn't "
            "refundable once the installation was done.|]",
        ],
        synth={
            "topic": "returning a Quillfield product",
            "asks": ["How do I return my Quillfield thermostat?", "What is the return policy for Quillfield "
                     "products?"],
            "steps": [
                ("Check the return window", "Products can be returned within 30 days of delivery."),
                ("Start your return", "Go to Account > Orders > Return item in the app or on the website."),
                ("Print the label", "A free prepaid shipping label will be emailed to you."),
                ("Pack your item", "Include all parts, such as the base and screws."),
                ("Wait for your refund", "Refunds are issued within 5-7 business days after the item is received."),
            ],
        },
    ),
    Scenario(
        key="shipping/damaged", category=SHIP,
        user=[
            "@thermostat My {thermostat} arrived [with a cracked screen|damaged|broken]. [The box was crushed.|The box looked fine "
            "but the screen is cracked.|It won't turn on at all.]",
            "@sensor [The|One of the] Sense [sensor|sensors] [came|arrived] [broken|with a loose battery cover|rattling "
            "inside].",
            "@thermostat Just unboxed the {thermostat} [and the base plate is snapped|and there's a big scratch across the display|and "
            "it rattles like something is loose]. [Pretty disappointing.|Not what I expected for the price.|What now?]",
            "@thermostat [Package arrived soaked|The box was left in the rain] and the {thermostat} inside [won't power on|has water "
            "under the screen]. [Can you send another?|Do I need to return this one first?]",
        ],
        answer=[
            "{ack_problem} [We'll send a replacement by express shipping at no cost.|I've set up a free replacement "
            "with express shipping.] [If you can, reply with a photo of the damage and the box - it helps us with the "
            "carrier claim, but it won't hold up your replacement.|A photo of the damage and the packaging helps with "
            "the carrier claim; the replacement ships regardless.] [The return label for the damaged one will be in "
            "your email within the hour; please send it back within 30 days.|You'll get a prepaid label to send the "
            "damaged unit back within 30 days.] [Please don't install it - a cracked screen can cut your fingers.|"
            "Please don't try installing the damaged unit.|]",
            "@thermostat {ack_problem} [You don't need to send the damaged one back before we ship a new one.|No need to return it "
            "first.] [I've arranged a replacement {thermostat} with express delivery (1-2 business days); tracking will "
            "follow by email.|A new {thermostat} is on its way by express shipping - you'll get tracking shortly.] [When "
            "it arrives, use the same box to send the damaged unit back with the prepaid label; there's no charge.|Please "
            "return the damaged one within 30 days using the free label we'll email.] [Sorry again - this isn't the "
            "first impression we want.|]",
        ],
        synth={
            "topic": "receiving a damaged product",
            "asks": ["My thermostat arrived damaged. What should I do?", "The product I received is broken. Can I "
                     "get a replacement?"],
            "steps": [
                ("Take photos", "Photograph the damaged item and the packaging."),
                ("Contact support", "Reach out to customer support to report the damage."),
                ("Receive a replacement", "A replacement will be shipped to you free of charge."),
                ("Return the damaged item", "Use the prepaid label to send the damaged item back."),
                ("Do not install", "Avoid installing a damaged device for your safety."),
            ],
        },
    ),
    Scenario(
        key="shipping/wrong_item", category=SHIP, weight=0.7,
        user=[
            "I ordered a {ordered} but [received|got] a {received}. [The box says {received}.|Wrong item in the box.|"
            "Can you swap it?]",
            "Wrong item[ delivered|]: [a {received} instead of the {ordered} I paid for|{received} instead of "
            "{ordered}].",
        ],
        answer=[
            "{ack_problem} [That's our mistake.|Sorry, we picked the wrong item.] [I've sent the {ordered} by express "
            "shipping today; you should get tracking within a few hours.|A {ordered} is going out today with express "
            "shipping.] [Please send the {received} back with the prepaid label we've emailed - there's no rush, "
            "anytime in the next 30 days.|Return the {received} with the free label in your email within 30 days.] "
            "[If you'd rather keep the {received}, let me know and I'll sort out the price difference instead.|]",
        ],
        slots={"ordered": joint("swap", 0, SWAPS), "received": joint("swap", 1, SWAPS)},
        synth={
            "topic": "receiving the wrong item",
            "asks": ["I received the wrong product in my order. How can I exchange it?"],
            "steps": [
                ("Check your order", "Compare the item you received with your order confirmation."),
                ("Contact support", "Let customer support know which item you received."),
                ("Receive the correct item", "The correct item will be shipped to you."),
                ("Return the wrong item", "Use the prepaid label to return the incorrect item."),
            ],
        },
    ),
    Scenario(
        key="shipping/change_address", category=SHIP, weight=0.7,
        user=[
            "I [just placed|placed] an order [an hour ago|this morning|last night] and [used my old address|put the "
            "wrong apartment number|need to ship it to my office instead]. [Can you change it?|Is it too late?]",
        ],
        answer=[
            "{ack_question} [We can change the address while the order is still Processing, which yours is.|Your order "
            "hasn't been packed yet, so I can still update it.] {address_outcome} [Once an "
            "order has shipped, we can't change it ourselves, but the carrier's redirect service usually can.|]",
        ],
        slots={"address_outcome": _address_outcome},
        synth={
            "topic": "changing the shipping address on an order",
            "asks": ["I entered the wrong shipping address on my order. Can I change it?"],
            "steps": [
                ("Act quickly", "Addresses can only be changed while the order is still processing."),
                ("Contact support", "Provide your order number and the correct address."),
                ("Check your confirmation", "You will receive an updated confirmation email."),
                ("Use carrier redirect", "If the order has shipped, the carrier may be able to redirect it."),
            ],
        },
    ),
    Scenario(
        key="shipping/vault_cancel", category=SHIP, weight=0.6,
        user=[
            "We want to cancel our {battery} order[ before installation|]. [Our install is booked for {month_day}.|The "
            "installer hasn't been out yet.|We're not going ahead with the project.] [Do we get the deposit back?|What "
            "about the $250 deposit?]",
        ],
        answer=[
            "{ack_question} [You can cancel any time before installation.|Cancelling before installation is fine.] "
            "[The $250 deposit is refunded in full if you cancel more than 3 days before the install date; within 3 "
            "days, we keep it to cover the installer's scheduling.|The $250 deposit comes back in full as long as it's "
            "more than 3 days before the installation date.] [If the site survey has already been done, there's no "
            "extra charge for it.|The site survey is free either way.] [I can cancel it for you now - just confirm, "
            "and the refund will show within 5-10 business days.|Reply 'confirm' and I'll cancel it; refunds take "
            "5-10 business days.]",
        ],
        synth={
            "topic": "cancelling a Vault battery order",
            "asks": ["Can I cancel my Vault battery order before installation and get my deposit back?"],
            "steps": [
                ("Check your installation date", "Deposits are refundable if you cancel more than 3 days before "
                 "installation."),
                ("Contact support", "Let support know you would like to cancel your order."),
                ("Confirm the cancellation", "You will receive a confirmation once the order is cancelled."),
                ("Wait for your refund", "Refunds typically appear within 5-10 business days."),
            ],
        },
    ),
]

INSTALLATION = [
    Scenario(
        key="install/wiring_compat", category=INSTALL, weight=1.4,
        user=[
            "@low [Will the {thermostat} work with my system?|Is my system compatible?] [I have a {hvac}.|It's a {hvac}.] "
            "[My current thermostat has {wires}.|The wires are {wires}.]",
            "@line My old thermostat [has|only has] [two thick wires|two wires] [and says 120V|and a big sticker that says "
            "line voltage|coming out of the wall]. [Can I use the {thermostat}?|Will it work?]",
        ],
        answer=[
            "@low {ack_question} [The quickest way to check is the compatibility checker in the app (Devices > Add device > "
            "Check compatibility): you enter the labels of the wires and it tells you if you need anything else.|The "
            "app's compatibility checker (Devices > Add device > Check compatibility) gives a definite answer in about "
            "a minute.] [From what you describe ({wires}), the {thermostat} should work.|With {wires}, it should be "
            "compatible.] [If there's no C-wire, you'll need the Power Adapter Kit ($24.99).|The one thing to look out "
            "for is a C-wire; without it, add the Power Adapter Kit.] [Heat pumps use the O/B wire for the reversing "
            "valve - you'll set its direction during setup.|If it's a heat pump, the setup asks whether O/B energises "
            "on cool (most brands) or heat.] [Please take a photo of the wiring before disconnecting anything.|Take a "
            "photo of the existing wiring first - it makes setup much easier.]",
            "@line {ack_question} [Two thick wires and a 120V or 240V label mean a line-voltage system (usually electric "
            "baseboard heaters).|That's a line-voltage system, typically for baseboard heaters.] [The {thermostat} "
            "only works with 24V low-voltage systems, so it isn't compatible, and connecting it could damage it.|Our "
            "thermostats are low-voltage (24V) only and can't be connected to line voltage safely.] [Please don't "
            "install it; if you've already bought one, you can return it within 30 days for a full refund.|If you've "
            "already purchased, return it under Account > Orders within 30 days.]",
        ],
        synth={
            "topic": "checking thermostat compatibility",
            "asks": ["Is the Quillfield Tempo thermostat compatible with my heating system?", "How do I know if my "
                     "wiring will work with a smart thermostat?"],
            "steps": [
                ("Use the compatibility checker", "Open Devices > Add device > Check compatibility in the app."),
                ("Identify your wires", "Remove your old thermostat cover and note the wire labels."),
                ("Look for a C-wire", "A C-wire provides continuous power to the thermostat."),
                ("Avoid line voltage", "Smart thermostats are not compatible with 120V or 240V systems."),
                ("Take a photo", "Photograph your existing wiring before disconnecting anything."),
            ],
        },
    ),
    Scenario(
        key="install/pro_install", category=INSTALL,
        user=[
            "@book I'd like [someone|a pro] to install my {thermostat}. [How much is it?|How do I book?|Do you have "
            "installers in my area?]",
            "@resched Need to reschedule my [installation|install appointment|site survey] [on|for] {month_day}. [Something "
            "came up.|I'll be travelling.|]",
        ],
        answer=[
            "@book {ack_question} [Pro installation for a thermostat is $129 and is done by one of our certified partner "
            "installers.|Our partner installers can do it for $129.] [Book under Account > Orders > Add installation, "
            "or in the app under Devices > Add device > Get it installed; you'll see available times for your ZIP "
            "code.|Pick a slot under Devices > Add device > Get it installed in the app - it shows availability for "
            "your ZIP code.] [The visit takes about an hour, includes the Power Adapter Kit if needed, and the "
            "installer tests heating and cooling before leaving.|It takes about an hour, and they'll fit a Power "
            "Adapter Kit if your system needs one.]",
            "@resched [No problem.|Of course.] [You can reschedule from the confirmation email (Manage appointment) or in the "
            "app under Account > Appointments.|Appointments can be moved in the app under Account > Appointments.] "
            "[Changes are free up to 24 hours before the visit.|It's free to change up to 24 hours beforehand.] [If "
            "you can't find a slot that works, reply with a few dates and I'll check with the installer directly.|]",
        ],
        synth={
            "topic": "professional installation",
            "asks": ["How can I book a professional installation for my thermostat?", "How much does professional "
                     "installation cost?"],
            "steps": [
                ("Open the app", "Go to Devices > Add device > Get it installed."),
                ("Choose a time", "Select an available appointment for your area."),
                ("Prepare your home", "Make sure the installer can easily access your HVAC system."),
                ("Reschedule if needed", "Appointments can be changed up to 24 hours in advance."),
                ("Test your system", "The installer will test heating and cooling before leaving."),
            ],
        },
    ),
    Scenario(
        key="install/unlabeled_wires", category=INSTALL, weight=0.8,
        user=[
            "I took off my old thermostat and [didn't take a photo|the wires aren't labelled|one wire fell back into "
            "the wall]. [Now I don't know which is which.|Help!|The colors don't match the letters.]",
            "Halfway through swapping my thermostat[ for the {thermostat}|]. [The old one had the wires on terminals but "
            "I pulled them off before labelling.|I have a red, white, green, yellow and a blue wire and no idea where "
            "they went.] [Can you tell me which is which?|Is there a standard?]",
            "[Quick one:|Question:] does the colour of the wire tell me which terminal it goes on? [Mine are red, white, "
            "green, yellow, blue.|I have {wires}.]",
        ],
        answer=[
            "{ack_problem} [First, make sure the power to the heating system is still off at the breaker.|Keep the "
            "power to the system switched off while you sort this out.] [Wire colours are only a convention, so the "
            "reliable way is to check where each wire lands on the furnace control board: the terminal letters there "
            "(R, C, W, Y, G) tell you what each wire is.|Colours aren't reliable - follow each wire to the furnace "
            "control board and note which letter it's connected to.]\n\n[If a wire fell into the wall, tape a piece "
            "of string to a bent coat hanger to fish it back out.|For the wire that slipped into the wall, a bent coat "
            "hanger usually fishes it out.] [The app's installation guide has a photo mode where you can match the "
            "furnace board to the thermostat base.|In the app, Devices > Add device > Wiring help lets you photograph "
            "the furnace board and matches it for you.] [If you'd rather not, a pro install is $129.|]",
            "[Colours are a good first guess but not a rule|There is a common colour convention, but installers don't always "
            "follow it]: red is usually R, white W, yellow Y, green G and blue or black C. [The only way to be sure is "
            "the other end of the cable at the furnace or air handler, where each wire is screwed to a labelled "
            "terminal.|To be certain, open the furnace panel (power off first) and read the letter next to where each "
            "colour is connected.] [Once you know, the app's setup asks you to tap the terminals you've used and checks "
            "the combination before you power on.|The setup flow in the app lets you enter the terminals and warns you "
            "about any combination that doesn't make sense.]",
        ],
        synth={
            "topic": "identifying unlabeled thermostat wires",
            "asks": ["I removed my old thermostat and do not know which wire is which. What should I do?"],
            "steps": [
                ("Turn off the power", "Switch off power to your HVAC system at the breaker."),
                ("Check the furnace board", "Follow each wire to the control board and note the terminal letters."),
                ("Use the wiring guide", "The app's wiring help can match your wires to the correct terminals."),
                ("Do not rely on colors", "Wire colors are not always standard."),
                ("Consider professional help", "A professional installer can complete the installation for you."),
            ],
        },
    ),
    Scenario(
        key="install/vault_permit", category=INSTALL,
        user=[
            "@permit How long does it take to get the {battery} installed? [We signed the contract {weeks} ago and nothing "
            "yet.|The installer mentioned a permit.|When can we turn it on?]",
            "@pto The {battery} is installed but [the installer said we can't use it yet|it says 'Awaiting permission to "
            "operate'|the app says commissioning pending]. [Why?|How long?|What are we waiting for?]",
        ],
        answer=[
            "@permit {ack_question} [The timeline is mostly permits:|It depends mainly on your city's permit office:] [after "
            "the site survey, your installer applies for the building and electrical permit, which takes 2-6 weeks "
            "depending on your city; installation itself is one day.|the installer files for a permit after the site "
            "survey (2-6 weeks), then the installation takes a day.] [You can follow each stage under Energy > Vault > "
            "Project status in the app.|The app shows where you are under Energy > Vault > Project status.] [If it's "
            "been more than 6 weeks since the survey, reply and I'll check with the installer.|]",
            "@pto {ack_question} [After installation, the city inspects the system and your utility has to give "
            "'permission to operate' (PTO) before the battery can run in parallel with the grid.|Once it's installed, "
            "two sign-offs are needed: the city inspection and the utility's permission to operate.] [That usually "
            "takes 1-4 weeks.|Expect 1 to 4 weeks.] [In the meantime, backup power works during an outage - only "
            "everyday cycling is on hold.|Backup during outages still works in the meantime.] [We'll notify you in the "
            "app the moment it's approved.|You'll get an app notification when PTO comes through.]",
        ],
        synth={
            "topic": "the home battery installation timeline",
            "asks": ["How long does it take to install a Vault home battery?", "Why can't I use my home battery "
                     "right after installation?"],
            "steps": [
                ("Site survey", "An installer visits your home to assess the installation site."),
                ("Permits", "Your installer applies for the necessary permits, which can take 2-6 weeks."),
                ("Installation", "The installation itself usually takes one day."),
                ("Inspection and approval", "The city and your utility must approve the system before use."),
                ("Track progress", "Check Energy > Vault > Project status in the app."),
            ],
        },
    ),
    Scenario(
        key="install/mounting", category=INSTALL, weight=0.8,
        user=[
            "@patch [After removing the old thermostat|Where the old thermostat was] there's [a big unpainted patch|holes and "
            "paint marks] on the wall. [Does the {thermostat} cover it?|Any trim plate?]",
            "@where Where's the best place to mount the {thermostat}? [The old one is on an outside wall.|The hallway gets "
            "sun in the afternoon.|I'm thinking of moving it to the living room.]",
        ],
        answer=[
            "@patch {ack_question} [The {thermostat} comes with a trim plate (in the box, under the base) that covers a 6 x 6 "
            "inch area.|There's a trim plate in the box, 6 by 6 inches.] [If the patch is bigger, we sell a larger one "
            "($12) in the store.|A larger trim plate ($12) is available if you need more coverage.] [Use the built-in "
            "level on the base before tightening the screws.|The base has a small bubble level built in.]",
            "@where {ack_question} [The best spot is an interior wall about 5 feet (1.5 m) off the floor, in a room you use a "
            "lot, away from direct sun, vents, lamps and the kitchen.|Aim for an inside wall at about 5 ft, out of "
            "direct sun and away from vents, lamps and doors.] [Outside walls make it read cold in winter.|On an "
            "outside wall it'll read a bit cold in winter.] [Moving it means running the wire to the new spot, which is "
            "a job for an electrician or HVAC tech; a Sense sensor in the room you care about is a much easier way to "
            "get the same result.|Rather than moving the wiring, you can put a Sense sensor where you actually spend "
            "time and have the thermostat follow it.]",
        ],
        synth={
            "topic": "mounting your thermostat",
            "asks": ["Where is the best place to install my smart thermostat?", "How can I cover the marks left by "
                     "my old thermostat?"],
            "steps": [
                ("Choose an interior wall", "Install the thermostat on an interior wall away from drafts."),
                ("Avoid heat sources", "Keep the thermostat away from sunlight, lamps and vents."),
                ("Use the trim plate", "The included trim plate covers marks left by an old thermostat."),
                ("Level the base", "Use the built-in level before tightening the screws."),
                ("Consider a room sensor", "A Sense sensor can measure temperature where you spend the most time."),
            ],
        },
    ),
]

SCENARIOS = SHIPPING + INSTALLATION
