# frozen_string_literal: true
#
# ci-plugin: provisioning script for Redmine 5 (run with `rails runner` on the Redmine server).
#
# Redmine's REST API cannot create trackers, issue statuses, workflows or custom fields, nor
# change settings. An administrator runs this script once on the Redmine server, as the user
# Redmine runs as, from Redmine's directory, for example (Debian package):
#
#   cd /usr/share/redmine
#   sudo -u www-data REDMINE_INSTANCE=default RAILS_ENV=production \
#     CI_PLUGIN_SPEC_FILE=/tmp/ci-plugin-spec.json bin/rails runner /tmp/provision.rb
#
# `ci-plugin setup --print-provisioning` prints this script together with the spec.
#
# The JSON spec comes from CI_PLUGIN_SPEC (the JSON text itself); if that is unset or empty,
# from the file named by CI_PLUGIN_SPEC_FILE ("-" = standard input); if both are unset and
# standard input is not a terminal, from standard input. Shape:
#
#   {"settings":  {"rest_api_enabled": "1", ...},                 # Setting[name] = value
#    "statuses":  [{"name": "new", "is_closed": false}, ...],
#    "trackers":  [{"name": "Improvement", "default_status": "new",
#                   "projects": [...], "custom_fields": [...]}, ...],   # last two optional
#                  # or "initial_status": "New" instead of "default_status" (see below)
#    "workflow":  {"tracker": "Improvement", "roles": [...],      # or a list of such objects
#                  "transitions": {"": ["new"], "new": ["assessing"], ...},
#                  "only_if_none": false},                        # optional
#    "custom_fields": [{"name": "CI Score", "format": "float", "trackers": ["Improvement"],
#                       "is_filter": true, "possible_values": [...]}, ...],  # trackers: "ALL" too
#    "projects":  [{"identifier": "improvements", "name": "Improvements",
#                   "trackers": ["Improvement"], "modules": [...], "is_public": false}],
#    "roles_for_workflow": "ALL"}                                 # or a list of role names
#
# What it does, in this order, all in one database transaction (an error saves nothing):
#   settings       set each listed setting that differs
#   statuses       create missing statuses (names match exactly, case included); an existing
#                  status whose is_closed differs is reported as a conflict, not changed
#   trackers       create missing trackers with their default status; an existing tracker
#                  whose default status differs is reported as a conflict, not changed (one
#                  that differs only in case, "new" for "New", is left as it is, with a note:
#                  a desk provisioned with lowercase names keeps working). "initial_status"
#                  is the default status of a tracker this run creates; an existing tracker
#                  keeps its own, whatever it is
#   workflow       add missing workflow transitions (rule "always") for the tracker, for every
#                  role ("ALL", built-in roles included) or the listed roles; the key "" means
#                  "statuses allowed when creating an issue" (old_status_id 0). Existing rows
#                  are never removed or changed. A status named here or as a default status but
#                  not listed under "statuses" is created as an open status (with a note).
#                  With "only_if_none": true the workflow is added only to a tracker that has
#                  no transition at all yet (a tracker created by this run, or one nobody
#                  gave a workflow); a tracker with a workflow of its own is left alone.
#   custom_fields  create missing issue custom fields (is_for_all true unless the spec says
#                  otherwise); on existing ones add missing trackers, missing list values and
#                  is_filter true. An existing field whose format differs is a conflict and is
#                  left alone. "trackers": "ALL" means every tracker, including the ones
#                  created by this run.
#   projects       create missing projects with their trackers and the issue_tracking module;
#                  on existing ones add missing trackers, enable issue_tracking, and enable
#                  spec custom fields that are not for all projects
#
# Output: one line per thing, "<created|updated|unchanged|conflict|note> <kind> "name": detail",
# then a summary line; a run that changes nothing ends with "nothing to change".
# Exit status: 0 done; 1 bad spec or error (rolled back, nothing saved); 2 done, but with
# conflicts to look at. CI_PLUGIN_DRY_RUN=1 reports what would happen and saves nothing.

require 'json'

module CiPluginProvision
  class SpecError < StandardError; end

  VERBS = %w[created updated unchanged conflict note].freeze
  CF_OPTIONAL = %w[is_required searchable multiple default_value description visible regexp
                   min_length max_length edit_tag_style url_pattern text_formatting].freeze

  module_function

  def read_spec
    raw = ENV['CI_PLUGIN_SPEC']
    source = 'CI_PLUGIN_SPEC'
    if raw.nil? || raw.strip.empty?
      path = ENV['CI_PLUGIN_SPEC_FILE'].to_s
      if path == '-' || (path.empty? && !$stdin.tty?)
        raw = $stdin.read
        source = 'standard input'
      elsif !path.empty?
        raw = File.read(path)
        source = path
      else
        raise SpecError, 'no spec: set CI_PLUGIN_SPEC (JSON) or CI_PLUGIN_SPEC_FILE (a path)'
      end
    end
    spec = JSON.parse(raw)
    raise SpecError, "the spec from #{source} is not a JSON object" unless spec.is_a?(Hash)

    spec
  rescue JSON::ParserError => e
    raise SpecError, "the spec from #{source} is not valid JSON: #{e.message.lines.first.strip}"
  rescue Errno::ENOENT, Errno::EACCES => e
    raise SpecError, "cannot read the spec: #{e.message}"
  end

  class Run
    attr_reader :counts

    def initialize(spec)
      @spec = spec
      @counts = Hash.new(0)
      @lines = []
      @declared_statuses = Array(spec['statuses']).map { |s| s['name'].to_s }
    end

    # ---- output ------------------------------------------------------------------------
    def report(verb, kind, name, detail = nil)
      @counts[verb] += 1
      line = format('%-9s %s %s', verb, kind, name.to_s.inspect)
      line += ": #{detail}" if detail && !detail.to_s.empty?
      @lines << line
    end

    def lines
      @lines
    end

    # ---- helpers -----------------------------------------------------------------------
    def truthy(value)
      [true, 1, '1', 'true', 'yes'].include?(value.is_a?(String) ? value.downcase : value)
    end

    def list(value, what)
      return [] if value.nil?
      raise SpecError, "#{what} must be a list" unless value.is_a?(Array)

      value
    end

    def names(records)
      records.map(&:name).join(', ')
    end

    def similar_note(klass_records, name)
      other = klass_records.detect { |r| r.name.casecmp?(name) && r.name != name }
      other ? " (note: #{other.name.inspect} also exists; names are matched exactly)" : ''
    end

    # Exact-name lookups (Ruby-side, so MySQL's case-insensitive collations do not matter).
    def status_named(name)
      IssueStatus.all.detect { |s| s.name == name.to_s }
    end

    def tracker_named(name)
      Tracker.all.detect { |t| t.name == name.to_s }
    end

    def tracker_named!(name, where)
      tracker_named(name) || raise(SpecError, "#{where}: unknown tracker #{name.to_s.inspect}")
    end

    def custom_field_named(name)
      IssueCustomField.all.detect { |f| f.name == name.to_s }
    end

    # A status referenced (by a tracker or the workflow) must exist; if the spec did not
    # declare it under "statuses", it is created as an open status, with a note.
    def ensure_status(name, why)
      name = name.to_s
      raise SpecError, "#{why}: empty status name" if name.empty?

      found = status_named(name)
      return found if found

      status = IssueStatus.new(name: name, is_closed: false)
      status.save!
      report('created', 'status', name,
             "id #{status.id}, open (not listed under \"statuses\"; referenced as #{why})" +
               similar_note(IssueStatus.all, name))
      status
    end

    def roles_for(value, where)
      value = 'ALL' if value.nil?
      return Role.sorted.to_a if value == 'ALL'

      list(value, "#{where} roles").map do |n|
        Role.all.detect { |r| r.name == n.to_s } || raise(SpecError, "#{where}: unknown role #{n.to_s.inspect}")
      end
    end

    # ---- validation before any write ---------------------------------------------------
    def validate!
      problems = []
      known = %w[settings statuses trackers workflow custom_fields projects roles_for_workflow]
      (@spec.keys - known).each { |k| report('note', 'spec key', k, 'not known to this script; ignored') }
      settings = @spec['settings']
      problems << '"settings" must be an object' unless settings.nil? || settings.is_a?(Hash)
      (settings || {}).each_key do |k|
        problems << "unknown setting #{k.inspect}" unless Setting.available_settings.key?(k.to_s)
      end
      %w[statuses trackers custom_fields projects].each do |key|
        v = @spec[key]
        next if v.nil?

        unless v.is_a?(Array) && v.all? { |e| e.is_a?(Hash) }
          problems << "\"#{key}\" must be a list of objects"
          next
        end
        id_key = key == 'projects' ? 'identifier' : 'name'
        v.each_with_index do |e, i|
          problems << "#{key}[#{i}] has no #{id_key.inspect}" if e[id_key].to_s.strip.empty?
        end
        dups = v.map { |e| e[id_key].to_s }.tally.select { |_, n| n > 1 }.keys
        problems << "#{key}: listed twice: #{dups.join(', ')}" unless dups.empty?
      end
      formats = Redmine::FieldFormat.formats_for_custom_field_class(IssueCustomField).map(&:name)
      Array(@spec['custom_fields']).each do |f|
        next unless f.is_a?(Hash)

        fmt = (f['format'] || f['field_format']).to_s
        unless formats.include?(fmt)
          problems << "custom field #{f['name'].to_s.inspect}: format #{fmt.inspect} is not one of #{formats.sort.join(', ')}"
        end
        if %w[list].include?(fmt) && !(f['possible_values'].is_a?(Array) && f['possible_values'].any?)
          problems << "custom field #{f['name'].to_s.inspect}: a list needs \"possible_values\""
        end
        t = f['trackers']
        unless t.nil? || t == 'ALL' || t.is_a?(Array)
          problems << "custom field #{f['name'].to_s.inspect}: \"trackers\" must be \"ALL\" or a list"
        end
      end
      wf = @spec['workflow']
      wfs = wf.is_a?(Array) ? wf : [wf].compact
      wfs.each do |w|
        unless w.is_a?(Hash) && !w['tracker'].to_s.empty? && w['transitions'].is_a?(Hash)
          problems << '"workflow" needs "tracker" and a "transitions" object (or a list of such)'
        end
      end
      r = @spec['roles_for_workflow']
      problems << '"roles_for_workflow" must be "ALL" or a list of role names' unless r.nil? || r == 'ALL' || r.is_a?(Array)
      raise SpecError, problems.join('; ') unless problems.empty?
    end

    # ---- the steps ---------------------------------------------------------------------
    def setting_value(value)
      case value
      when true then '1'
      when false then '0'
      when nil then ''
      when Array then value.map(&:to_s)
      when Hash then value
      else value.to_s
      end
    end

    def same_setting?(have, want)
      return have.map(&:to_s) == want if have.is_a?(Array) && want.is_a?(Array)
      return have == want if want.is_a?(Hash)

      have.to_s == want.to_s
    end

    def apply_settings
      (@spec['settings'] || {}).each do |name, value|
        name = name.to_s
        want = setting_value(value)
        have = Setting[name]
        if same_setting?(have, want)
          report('unchanged', 'setting', name, "= #{want.inspect}")
        else
          Setting[name] = want
          report('updated', 'setting', name, "#{have.inspect} -> #{want.inspect}")
        end
      end
    end

    def apply_statuses
      list(@spec['statuses'], '"statuses"').each do |s|
        name = s['name'].to_s
        want_closed = s.key?('is_closed') ? truthy(s['is_closed']) : nil
        status = status_named(name)
        if status
          if !want_closed.nil? && status.is_closed? != want_closed
            report('conflict', 'status', name,
                   "is_closed is #{status.is_closed?} here, the spec says #{want_closed}; left as it is")
          else
            report('unchanged', 'status', name, "id #{status.id}, #{status.is_closed? ? 'closed' : 'open'}")
          end
        else
          status = IssueStatus.new(name: name, is_closed: want_closed || false)
          status.save!
          report('created', 'status', name,
                 "id #{status.id}, #{status.is_closed? ? 'closed' : 'open'}" + similar_note(IssueStatus.all, name))
        end
      end
    end

    def apply_trackers
      list(@spec['trackers'], '"trackers"').each do |t|
        name = t['name'].to_s
        want_default = t['default_status'].to_s
        tracker = tracker_named(name)
        if tracker
          have_default = tracker.default_status&.name
          if !want_default.empty? && have_default != want_default && have_default.to_s.casecmp?(want_default)
            report('unchanged', 'tracker', name,
                   "id #{tracker.id}, default status #{have_default.inspect} (the spec's #{want_default.inspect} " \
                   'but for case; left as it is)')
          elsif !want_default.empty? && have_default != want_default
            report('conflict', 'tracker', name,
                   "default status is #{have_default.inspect} here, the spec says #{want_default.inspect}; left as it is")
          else
            report('unchanged', 'tracker', name, "id #{tracker.id}")
          end
        else
          want_default = t['initial_status'].to_s if want_default.empty?
          default = if want_default.empty?
                      IssueStatus.sorted.first || raise(SpecError, "tracker #{name.inspect}: no default_status and no statuses at all")
                    else
                      ensure_status(want_default, "default status of tracker #{name.inspect}")
                    end
          tracker = Tracker.new(name: name, default_status: default)
          tracker.description = t['description'].to_s if t.key?('description')
          tracker.save!
          report('created', 'tracker', name,
                 "id #{tracker.id}, default status #{default.name.inspect}" + similar_note(Tracker.all, name))
        end
      end
    end

    def apply_workflows
      wf = @spec['workflow']
      (wf.is_a?(Array) ? wf : [wf].compact).each do |w|
        tracker = tracker_named!(w['tracker'], 'workflow')
        roles = roles_for(w['roles'] || @spec['roles_for_workflow'], "workflow of #{tracker.name}")
        raise SpecError, "workflow of #{tracker.name}: no roles" if roles.empty?

        if truthy(w['only_if_none']) && WorkflowTransition.where(tracker_id: tracker.id).exists?
          report('unchanged', 'workflow', tracker.name, 'has transitions of its own; left as it is')
          next
        end
        have = WorkflowTransition.where(tracker_id: tracker.id, role_id: roles.map(&:id),
                                        author: false, assignee: false).
                 pluck(:role_id, :old_status_id, :new_status_id).to_set
        w['transitions'].each do |from, tos|
          from = from.to_s
          old_id = from.empty? ? 0 : ensure_status(from, "workflow of #{tracker.name}").id
          Array(tos).each do |to|
            to_status = ensure_status(to, "workflow of #{tracker.name}")
            label = "#{tracker.name}: #{from.empty? ? '(new issue)' : from} -> #{to_status.name}"
            if old_id == to_status.id
              report('note', 'transition', label, 'from a status to itself; nothing to do')
              next
            end
            missing = roles.reject { |r| have.include?([r.id, old_id, to_status.id]) }
            if missing.empty?
              report('unchanged', 'transition', label, "#{roles.size} roles")
              next
            end
            missing.each do |role|
              WorkflowTransition.create!(tracker_id: tracker.id, role_id: role.id,
                                         old_status_id: old_id, new_status_id: to_status.id,
                                         author: false, assignee: false)
              have << [role.id, old_id, to_status.id]
            end
            verb = missing.size == roles.size ? 'created' : 'updated'
            report(verb, 'transition', label, "for #{missing.size} of #{roles.size} roles: #{names(missing)}")
          end
        end
      end
    end

    # Trackers a custom field must be enabled for: its own "trackers" plus every tracker
    # whose spec lists it under "custom_fields".
    def wanted_trackers_for(field_spec)
      name = field_spec['name'].to_s
      t = field_spec['trackers']
      wanted = if t == 'ALL'
                 Tracker.sorted.to_a
               else
                 Array(t).map { |n| tracker_named!(n, "custom field #{name.inspect}") }
               end
      list(@spec['trackers'], '"trackers"').each do |ts|
        next unless Array(ts['custom_fields']).map(&:to_s).include?(name)

        wanted << tracker_named!(ts['name'], "custom field #{name.inspect}")
      end
      wanted.uniq
    end

    def apply_custom_fields
      @not_for_all = []
      spec_names = list(@spec['custom_fields'], '"custom_fields"').map { |f| f['name'].to_s }
      list(@spec['trackers'], '"trackers"').each do |ts|
        (Array(ts['custom_fields']).map(&:to_s) - spec_names).each do |n|
          raise SpecError, "tracker #{ts['name'].to_s.inspect} lists custom field #{n.inspect}, which is not under \"custom_fields\""
        end
      end
      list(@spec['custom_fields'], '"custom_fields"').each do |f|
        name = f['name'].to_s
        fmt = (f['format'] || f['field_format']).to_s
        trackers = wanted_trackers_for(f)
        field = custom_field_named(name)
        if field
          update_custom_field(field, f, fmt, trackers)
        else
          field = IssueCustomField.new
          field.name = name
          field.field_format = fmt
          field.is_for_all = f.key?('is_for_all') ? truthy(f['is_for_all']) : true
          field.is_filter = truthy(f['is_filter'])
          field.possible_values = f['possible_values'].map(&:to_s) if f['possible_values'].is_a?(Array)
          CF_OPTIONAL.each { |k| field.send("#{k}=", f[k]) if f.key?(k) }
          field.tracker_ids = trackers.map(&:id)
          field.save!
          report('created', 'custom field', name,
                 "id #{field.id}, format #{fmt}, trackers: #{trackers.empty? ? '(none)' : names(trackers)}" +
                   (field.is_filter? ? ', filter' : '') + (field.is_for_all? ? '' : ', not for all projects') +
                   similar_note(IssueCustomField.all, name))
        end
        @not_for_all << field unless field.is_for_all?
      end
    end

    def update_custom_field(field, f, fmt, trackers)
      name = field.name
      if field.field_format != fmt
        report('conflict', 'custom field', name,
               "format is #{field.field_format.inspect} here, the spec says #{fmt.inspect}; left as it is (id #{field.id})")
        return
      end
      changes = []
      missing = trackers - field.trackers.to_a
      unless missing.empty?
        field.trackers << missing
        changes << "trackers +#{names(missing)}"
      end
      if f['possible_values'].is_a?(Array)
        have = Array(field.possible_values)
        add = f['possible_values'].map(&:to_s) - have
        unless add.empty?
          field.possible_values = have + add
          changes << "values +#{add.join(', ')}"
        end
      end
      if truthy(f['is_filter']) && !field.is_filter?
        field.is_filter = true
        changes << 'is_filter true'
      end
      field.save! if field.changed?
      if changes.empty?
        report('unchanged', 'custom field', name, "id #{field.id}, format #{fmt}")
      else
        report('updated', 'custom field', name, "id #{field.id}: #{changes.join('; ')}")
      end
    end

    def apply_projects
      projects = list(@spec['projects'], '"projects"')
      wanted = Hash.new { |h, k| h[k] = [] }
      projects.each do |p|
        wanted[p['identifier'].to_s] += list(p['trackers'], "project #{p['identifier']} trackers").
                                          map { |n| tracker_named!(n, "project #{p['identifier'].to_s.inspect}") }
      end
      list(@spec['trackers'], '"trackers"').each do |t|
        list(t['projects'], "tracker #{t['name']} projects").each do |ident|
          wanted[ident.to_s] << tracker_named!(t['name'], "tracker #{t['name']}")
        end
      end
      by_ident = projects.index_by { |p| p['identifier'].to_s }
      wanted.each do |ident, trackers|
        trackers = trackers.uniq
        project = Project.find_by(identifier: ident)
        if project
          update_project(project, trackers)
        elsif (p = by_ident[ident])
          create_project(p, trackers)
        else
          raise SpecError, "project #{ident.inspect} is named by a tracker but neither exists nor is under \"projects\""
        end
      end
    end

    def create_project(p, trackers)
      ident = p['identifier'].to_s
      modules = if p['modules'].is_a?(Array)
                  p['modules'].map(&:to_s)
                else
                  Array(Setting.default_projects_modules).map(&:to_s)
                end
      modules |= ['issue_tracking']
      attrs = { name: (p['name'] || ident).to_s, identifier: ident,
                tracker_ids: trackers.map(&:id), enabled_module_names: modules }
      attrs[:is_public] = truthy(p['is_public']) if p.key?('is_public')
      attrs[:description] = p['description'].to_s if p.key?('description')
      project = Project.new(attrs)
      if p['parent']
        parent = Project.find_by(identifier: p['parent'].to_s) ||
                 raise(SpecError, "project #{ident.inspect}: unknown parent #{p['parent'].to_s.inspect}")
        project.parent = parent
      end
      project.save!
      project.issue_custom_fields << @not_for_all unless @not_for_all.empty?
      report('created', 'project', ident,
             "id #{project.id}, trackers: #{trackers.empty? ? '(none)' : names(trackers)}" +
               (@not_for_all.empty? ? '' : ", custom fields: #{names(@not_for_all)}"))
    end

    def update_project(project, trackers)
      changes = []
      missing = trackers - project.trackers.to_a
      unless missing.empty?
        project.trackers << missing
        changes << "trackers +#{names(missing)}"
      end
      unless project.module_enabled?('issue_tracking')
        project.enable_module!('issue_tracking')
        changes << 'module issue_tracking enabled'
      end
      cfs = @not_for_all - project.issue_custom_fields.to_a
      unless cfs.empty?
        project.issue_custom_fields << cfs
        changes << "custom fields +#{names(cfs)}"
      end
      if changes.empty?
        report('unchanged', 'project', project.identifier, "id #{project.id}")
      else
        report('updated', 'project', project.identifier, "id #{project.id}: #{changes.join('; ')}")
      end
    end

    def call
      validate!
      apply_settings
      apply_statuses
      apply_trackers
      apply_workflows
      apply_custom_fields
      apply_projects
    end
  end

  def main
    $stdout.sync = true
    dry_run = %w[1 true yes].include?(ENV['CI_PLUGIN_DRY_RUN'].to_s.downcase)
    spec = read_spec
    run = Run.new(spec)
    admin = User.where(admin: true, status: User::STATUS_ACTIVE).order(:id).first
    User.current = admin if admin
    ActiveRecord::Base.transaction do
      run.call
      raise ActiveRecord::Rollback if dry_run
    end
    run.lines.each { |l| puts l }
    c = run.counts
    changed = c['created'] + c['updated']
    summary = "summary: #{c['created']} created, #{c['updated']} updated, #{c['unchanged']} unchanged, " \
              "#{c['conflict']} conflicts"
    summary += changed.zero? ? ' - nothing to change' : ''
    summary += ' (dry run: nothing saved)' if dry_run
    puts summary
    exit(c['conflict'].positive? ? 2 : 0)
  rescue SpecError => e
    warn "ci-plugin provision: error in the spec: #{e.message} (nothing saved)"
    exit 1
  rescue ActiveRecord::RecordInvalid => e
    warn "ci-plugin provision: cannot save #{e.record.class.name} " \
         "#{(e.record.try(:name) || e.record.try(:identifier)).to_s.inspect}: #{e.message} (rolled back, nothing saved)"
    exit 1
  end
end

CiPluginProvision.main
